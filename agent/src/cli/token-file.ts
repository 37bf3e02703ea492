import { open } from 'node:fs/promises';
import { UsageError } from '@wofleet/shared';

/**
 * `--token-file PATH|-`: the enrollment token is a secret, so it never travels as an
 * argument (every user sees it in `ps`, and it stays in shell history). Its first line
 * is the token; a file larger than this is not a token file.
 */
const MAX_TOKEN_FILE_BYTES = 4096;

export async function readTokenFile(source: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const text = source === '-' ? await readFirstLine(stdin) : await readSmallFile(source);
  const token = text.split('\n')[0]?.trim() ?? '';
  if (token === '') throw new UsageError(`--token-file ${source === '-' ? '-: no token on stdin' : `${source} holds no token`}`);
  return token;
}

async function readSmallFile(file: string): Promise<string> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--token-file ${file}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`);
  });
  try {
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_TOKEN_FILE_BYTES)
      throw new UsageError(`--token-file ${file}: larger than ${MAX_TOKEN_FILE_BYTES} bytes, not a token`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Up to the first newline (a token pasted at a terminal) or the end of input (a pipe). */
async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
    if (text.length > MAX_TOKEN_FILE_BYTES)
      throw new UsageError(`--token-file -: more than ${MAX_TOKEN_FILE_BYTES} bytes on stdin, not a token`);
  }
  return text;
}
