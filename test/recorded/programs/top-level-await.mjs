const hold = [];
async function waitForever() { await new Promise((r) => hold.push(r)); }
setInterval(() => {}, 100000);
console.log('ready');
await waitForever();
