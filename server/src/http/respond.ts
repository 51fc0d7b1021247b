/** Writing answers, and reading the few request fields every route needs. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode, type ApiError } from '@dockpulse/shared';

/** An HTTP error to send: status, a code from the closed set, and a message for people. */
export interface HttpError {
  status: number;
  code: HttpErrorCode;
  message: string;
}

/** One request header's value (the first, when it was sent more than once). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A JSON answer that no cache keeps. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** An error answer: `{"error": code, "message": …}`. */
export function fail(res: ServerResponse, e: HttpError): void {
  // The rest of an oversized body is not read, so this connection cannot carry another request.
  if (e.status === 413) res.setHeader('Connection', 'close');
  const body: ApiError = { error: e.code, message: e.message };
  json(res, e.status, body);
}

export function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  fail(res, { status: 405, code: HttpErrorCode.methodNotAllowed, message: `use ${allow}` });
}

export function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
