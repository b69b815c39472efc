// Most await shapes in one program, for recorded snapshots (see record-snapshots.js).
const hold = [];
function never() { return new Promise((resolve) => { hold.push(resolve); }); }
async function leaf(n) { await never(); return n; }
async function middle() { const r = await leaf(1); return r; }
async function fan() { return Promise.all([leaf(2), leaf(3)]); }
async function fanAwait() { await Promise.all([leaf(4), middle()]); }
async function racer() { await Promise.race([leaf(5), leaf(6)]); }
async function thenChain() { await leaf(7).then(function double(x) { return x * 2; }); }
class Poller { async poll() { await leaf(8); } }
const arrow = async () => { await new Poller().poll(); };
async function* gen() { yield 1; await never(); yield 2; }
async function consume() { for await (const x of gen()) { void x; } }
async function main() { await Promise.all([middle(), fanAwait(), racer(), thenChain(), arrow(), consume()]); }
main();
setInterval(() => {}, 100000);
console.log('ready');
