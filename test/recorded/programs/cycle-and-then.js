// An await cycle, .catch/.finally steps and Promise.allSettled/any, for recorded snapshots.
const held = [];
const never = () => new Promise((resolve) => held.push(resolve));
let promiseA;
let promiseB;
async function stepA() { await null; await promiseB; }
async function stepB() { await null; await promiseA; }
promiseA = stepA();
promiseB = stepB();
async function waiter() { await never(); }
async function settled() { await Promise.allSettled([waiter(), never()]); }
async function anyOf() { await Promise.any([waiter(), waiter()]); }
async function steps() {
  await waiter().catch(function onError() {}).finally(function cleanup() {});
}
class Repo { static async load() { await Promise.all([settled(), anyOf(), steps()]); } }
Repo.load();
setInterval(() => {}, 1 << 30);
setTimeout(() => console.log('ready'), 10);
