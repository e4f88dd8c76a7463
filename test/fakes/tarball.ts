import { gzipSync } from "node:zlib";
import { Header, Pax } from "tar";

/** One entry of an archive to build: a file (the default), a directory, a link, or any other kind tar knows. */
export interface TarEntry {
  readonly path: string;
  readonly type?: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "BlockDevice" | "FIFO";
  readonly content?: string | Buffer;
  readonly linkpath?: string;
  readonly mode?: number;
  /** The size the header declares, when it should differ from the content (a header claiming a huge file). */
  readonly declaredSize?: number;
}

const MTIME = new Date("2026-01-01T00:00:00Z");

/**
 * Builds a gzipped tar in memory, entry by entry as given: nothing is normalised, so a test can write the entries a
 * hostile archive would hold (`../`, absolute paths, links out, devices). With `commit`, a pax global header carries
 * the commit's SHA first, as GitHub's archives do.
 */
export function buildTarball(entries: readonly TarEntry[], commit?: string): Buffer {
  const blocks: Buffer[] = [];
  if (commit) blocks.push(new Pax({ comment: commit }, true).encode());
  for (const entry of entries) {
    const type = entry.type ?? (entry.path.endsWith("/") ? "Directory" : "File");
    const content = type === "File" ? Buffer.from(entry.content ?? "") : Buffer.alloc(0);
    const size = entry.declaredSize ?? content.length;
    const header = new Header({ path: entry.path, type, mode: entry.mode ?? (type === "Directory" ? 0o755 : 0o644), size, mtime: MTIME, uid: 0, gid: 0, uname: "", gname: "", linkpath: entry.linkpath });
    const block = Buffer.alloc(512);
    if (header.encode(block, 0)) blocks.push(new Pax({ path: entry.path, linkpath: entry.linkpath, mtime: MTIME }).encode());
    blocks.push(block);
    if (size > 0 && entry.declaredSize === undefined) blocks.push(content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
