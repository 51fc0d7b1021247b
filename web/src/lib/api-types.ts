/** The gateway's HTTP API as the dashboard uses it: its errors; the session and share shapes are shared. */
import { isObject } from '@dockpulse/shared';

export { parseSessionInfo, parseShareInfo, parseShareList, type SessionInfo, type ShareInfo } from '@dockpulse/shared';

/** Why an API call did not give what was asked. */
export type ApiError =
  /** The gateway could not be reached. */
  | { kind: 'network'; message: string }
  /** It answered with an error status; `code` and `message` are from its `{"error","message"}` body. */
  | { kind: 'http'; status: number; code: string; message: string }
  /** It answered 2xx with a body this client does not understand. */
  | { kind: 'bad_response'; message: string };

/** The `{"error","message"}` body of a failed request, as far as it is one. */
export function parseErrorBody(status: number, v: unknown): ApiError {
  const code = isObject(v) && typeof v['error'] === 'string' ? v['error'] : `http_${status}`;
  const message = isObject(v) && typeof v['message'] === 'string' ? v['message'] : `the gateway answered ${status}`;
  return { kind: 'http', status, code, message };
}

/** Shown to a person: what went wrong, in a sentence. */
export function describeApiError(e: ApiError): string {
  switch (e.kind) {
    case 'network':
      return 'Cannot reach the dockpulse gateway.';
    case 'http':
      return e.message.charAt(0).toUpperCase() + e.message.slice(1) + (e.message.endsWith('.') ? '' : '.');
    case 'bad_response':
      return `Unexpected answer from the gateway (${e.message}).`;
  }
}
