import type { IncomingMessage } from 'node:http';
import { HttpErrorCode, err, ok, type Result } from '@dockpulse/shared';
import type { HttpError } from './respond.js';

/** Reads a JSON request body of at most `maxBytes`, refusing other content types. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Result<unknown, HttpError>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return err({ status: 415, code: HttpErrorCode.unsupportedMediaType, message: 'send Content-Type: application/json' });
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) return err(tooLarge(maxBytes));
  const body = await new Promise<Buffer | 'too_large' | 'aborted'>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the 413 goes out with Connection: close, and the rest is never read.
        req.off('data', onData);
        req.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve('aborted'));
  });
  if (body === 'too_large') return err(tooLarge(maxBytes));
  if (body === 'aborted') return err({ status: 400, code: HttpErrorCode.badRequest, message: 'the request body was cut short' });
  try {
    return ok(JSON.parse(body.toString('utf8')) as unknown);
  } catch {
    return err({ status: 400, code: HttpErrorCode.badJson, message: 'the body is not valid JSON' });
  }
}

function tooLarge(maxBytes: number): HttpError {
  return { status: 413, code: HttpErrorCode.tooLarge, message: `the body may be at most ${maxBytes} bytes` };
}
