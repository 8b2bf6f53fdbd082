// A function verifier for examples/rejection-arithmetic.yaml that needs no expected answer: it recomputes the
// sum from the prompt and also checks every worked step (digits, carries, two-digit sums).
// Use it with:  verifier: { name: function, module: examples/verify-addition.mjs, export: verify }
export function verify(answer, { text }) {
  const m = /^(\d+)\+(\d+)=$/.exec(text);
  if (!m) return false;
  const [a, b] = [m[1], m[2]].map((s) => s.split('').reverse().map(Number));
  const lines = answer.trim().split('\n');
  let carry = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    const s = x + y + carry;
    if (lines[i] !== `${x}+${y}+${carry}=${String(s).padStart(2, '0')}`) return false;
    carry = s >= 10 ? 1 : 0;
  }
  return lines.length === Math.max(a.length, b.length) + 1 && lines.at(-1) === `answer: ${BigInt(m[1]) + BigInt(m[2])}`;
}
