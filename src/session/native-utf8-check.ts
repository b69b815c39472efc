// chrome-remote-interface uses ws 7, which checks every text frame's UTF-8 in JavaScript unless
// the optional native addon utf-8-validate is installed (ws/lib/validation.js). A heap snapshot
// arrives as hundreds of megabytes of text frames, and that check took about as long as parsing
// them. Node's own check (buffer.isUtf8, simdutf) gives the same answer. ws's receiver reads
// the function from that module's exports when it is first loaded, so this module runs before
// chrome-remote-interface is imported (cdp-session.ts imports it first).

import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';

try {
  const requireFromClient = createRequire(createRequire(import.meta.url).resolve('chrome-remote-interface'));
  const validation = requireFromClient('ws/lib/validation.js') as { isValidUTF8?: unknown };
  if (typeof validation.isValidUTF8 === 'function') validation.isValidUTF8 = (buffer: Buffer) => isUtf8(buffer);
} catch {
  // Another ws layout: its own check stays.
}
