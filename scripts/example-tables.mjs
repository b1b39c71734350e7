// Writes the generated tables the README's table examples use (known answers, fixed seeds):
//   flowers.csv / flowers-test.csv   300 / 150 rows: three separable blobs named setosa, versicolor,
//                                    virginica; an id column, a constant column, exponent notation,
//                                    a quoted header with a comma in it
//   linear.csv / linear-test.csv     400 / 2000 rows: y = 3·x1 − 2·x2 + 0.5·x3 + 10 + N(0, 1) with
//                                    x ~ N(0, 1): the best possible R² is 13.25/14.25 = 0.930, RMSE 1
// Usage: node scripts/example-tables.mjs [folder]   (default: the current folder)
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? ".";
function rng(seed) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return { next, normal: () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()) };
}
function flowers(n, seed) {
  const r = rng(seed);
  const centres = { setosa: [1, 5], versicolor: [4, 1], virginica: [7, 6] };
  const names = Object.keys(centres);
  const rows = ['"id","petal, length",width,const,species'];
  for (let i = 0; i < n; i++) {
    const c = names[i % 3];
    const [a, b] = centres[c];
    rows.push(`${i},${(a + 1.2 * r.normal()).toExponential(3)},${(b + 1.2 * r.normal()).toFixed(3)},7,${c}`);
  }
  return rows.join("\n") + "\n";
}
function linear(n, seed) {
  const r = rng(seed);
  const rows = ["x1,x2,x3,y"];
  for (let i = 0; i < n; i++) {
    const x = [r.normal(), r.normal(), r.normal()];
    rows.push(`${x.map((v) => v.toFixed(5)).join(",")},${(3 * x[0] - 2 * x[1] + 0.5 * x[2] + 10 + r.normal()).toFixed(5)}`);
  }
  return rows.join("\n") + "\n";
}
writeFileSync(join(dir, "flowers.csv"), flowers(300, 1));
writeFileSync(join(dir, "flowers-test.csv"), flowers(150, 2));
writeFileSync(join(dir, "linear.csv"), linear(400, 3));
writeFileSync(join(dir, "linear-test.csv"), linear(2000, 4));
console.log(`wrote flowers.csv, flowers-test.csv, linear.csv, linear-test.csv to ${dir}`);
