export * from './protocol.js';
export * from './result.js';
export * from './guards.js';
export * from './client-message.js';
export * from './server-message.js';
export * from './format.js';
export * from './series.js';
export * from './http-api.js';
