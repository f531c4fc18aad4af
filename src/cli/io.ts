// The CLI's contact with the file system, and the one error type that means "the user can fix
// this": it is printed as a single line with no stack trace and exit code 2.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A problem with how the CLI was used (missing file, bad option value): one line, exit code 2. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Node's fs errors carry a code; these are the ones worth phrasing for people. */
function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

export function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${describeFsError(e)}`);
  }
}

/** The file's bytes, or undefined when it does not exist (other failures are reported). */
export function readBytesIfPresent(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${path}: ${describeFsError(e)}`);
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `bytes` to `path` so that readers see either the old file or the complete new one, never
 * a partial write: the bytes go to a temporary file in the same directory (rename is only atomic
 * within one file system), are flushed, and the temporary file is renamed over the target.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx');
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw new UserError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}
