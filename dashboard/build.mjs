// Bundles src/ into dist/: one script and one stylesheet named by their content's hash (the
// gateway serves those as immutable), and index.html pointing at them (served with revalidation).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

const dist = 'dist';
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

const result = await build({
  entryPoints: { app: 'src/main.ts' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  outdir: dist,
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const script = outputs.find(path => path.endsWith('.js'));
const stylesheet = outputs.find(path => path.endsWith('.css'));
if (!script || !stylesheet) throw new Error(`esbuild wrote no script or no stylesheet: ${outputs.join(', ')}`);

const page = (await readFile('src/index.html', 'utf8'))
  .replace('%SCRIPT%', basename(script))
  .replace('%STYLESHEET%', basename(stylesheet));
// Written last: the gateway's build takes index.html as the sign that dist/ is complete.
await writeFile(`${dist}/index.html`, page);
