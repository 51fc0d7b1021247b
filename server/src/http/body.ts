import type { IncomingMessage } from 'node:http';
import { err, ok, type Result } from '@dockpulse/shared';

/** An HTTP error to send: status, a code from a closed set, and a message for people. */
export interface HttpError {
  status: number;
  code: string;
  message: string;
}

/** Reads a JSON request body of at most `maxBytes`, refusing other content types. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Result<unknown, HttpError>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return err({ status: 415, code: 'unsupported_media_type', message: 'send Content-Type: application/json' });
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return err(tooLarge(maxBytes));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.destroy();
      return err(tooLarge(maxBytes));
    }
    chunks.push(chunk);
  }
  try {
    return ok(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
  } catch {
    return err({ status: 400, code: 'bad_json', message: 'the body is not valid JSON' });
  }
}

function tooLarge(maxBytes: number): HttpError {
  return { status: 413, code: 'too_large', message: `the body may be at most ${maxBytes} bytes` };
}
