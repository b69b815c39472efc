// chrome-remote-interface uses ws 7, which checks every text frame's UTF-8 in JavaScript unless
// the optional native addon utf-8-validate is installed (ws/lib/validation.js). A heap snapshot
// arrives as hundreds of megabytes of text frames, and that check took about as long as parsing
// them. Node's own check (buffer.isUtf8, simdutf) gives the same answer. ws's receiver reads
// the function from that module's exports when it is first loaded, so chrome-remote-interface is
// loaded here, after the replacement: not by an import, which a bundle (scripts/bundle-cli.js)
// hoists above every module's code.

import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type CDP from 'chrome-remote-interface';

let loaded: typeof CDP | undefined;
let replacedFirst = false;

/** The chrome-remote-interface module, loaded on first use, with ws's UTF-8 check replaced first. */
export function chromeRemoteInterface(): typeof CDP {
  if (loaded) return loaded;
  const requireFromClient = createRequire(createRequire(import.meta.url).resolve('chrome-remote-interface'));
  try {
    const receiverLoaded = requireFromClient.cache[requireFromClient.resolve('ws/lib/receiver.js')] !== undefined;
    const validation = requireFromClient('ws/lib/validation.js') as { isValidUTF8?: unknown };
    if (typeof validation.isValidUTF8 === 'function') {
      validation.isValidUTF8 = (buffer: Buffer) => isUtf8(buffer);
      replacedFirst = !receiverLoaded;
    }
  } catch {
    // Another ws layout: its own check stays.
  }
  loaded = requireFromClient('chrome-remote-interface') as typeof CDP;
  return loaded;
}

/** Whether ws's receiver got Node's UTF-8 check (it was replaced before the receiver loaded). */
export function receiverUsesNodeUtf8Check(): boolean {
  return replacedFirst;
}
