#!/usr/bin/env node
// The manifest check: renders every overlay under <k8s>/overlays with kustomize and validates every
// object offline, so that a typo in k8s/ fails CI instead of a deployment.
//
//   node check.mjs [--k8s <dir>] [--json-out <dir>]
//
// What is checked, object by object:
//   1. Kubernetes kinds: the schema of the API (kubernetes-models, generated from the Kubernetes
//      OpenAPI spec: types, required fields, formats) and, because those schemas allow any extra
//      field, unknown fields too (the field lists of @kubernetes/client-node, generated from the
//      same spec): what `kubectl apply` with its default strict field validation would refuse.
//   2. Custom resources: the openAPIV3Schema of their CustomResourceDefinition, vendored in crds/
//      (every CRD there of the same group and kind must accept the object, so that it works with
//      each operator release we vendored), unknown fields refused as the API server does.
//   3. References the API server cannot see in one object: selectors that match pod templates,
//      Services, Ingresses, HPAs, PDBs and NetworkPolicies that point at something that exists, ConfigMaps,
//      Secrets and keys that exist, named ports that exist, $(VAR) references defined earlier.
// Any kind without a schema here is an error, not a pass.
//
// Exit code 0 when everything is valid, 1 when something is not, 2 when the check cannot run.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as clientModels from "@kubernetes/client-node/dist/gen/models/all.js";
import { findKubectl } from "./kubectl.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { k8s: path.resolve(here, ".."), jsonOut: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--k8s") options.k8s = path.resolve(argv[++i] ?? fail("--k8s needs a folder"));
    else if (arg === "--json-out") options.jsonOut = path.resolve(argv[++i] ?? fail("--json-out needs a folder"));
    else if (arg === "-h" || arg === "--help") {
      console.log("usage: node check.mjs [--k8s <dir with overlays/>] [--json-out <dir for rendered overlays as JSON>]");
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  return options;
}

function fail(message) {
  console.error(`k8s check: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function render(kubectl, dir) {
  const result = spawnSync(kubectl.command, [...kubectl.args, dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) fail(`cannot run ${kubectl.describe}: ${result.error.message}`);
  if (result.status !== 0) return { error: (result.stderr || result.stdout).trim() };
  // uniqueKeys: a key written twice in a mapping is a typo that YAML would otherwise resolve silently.
  const docs = YAML.parseAllDocuments(result.stdout, { uniqueKeys: true });
  const errors = docs.flatMap(d => d.errors.map(e => e.message));
  if (errors.length > 0) return { error: errors.join("\n") };
  return { objects: docs.map(d => d.toJS()).filter(o => o !== null) };
}

// ---------------------------------------------------------------------------------------------
// Kubernetes kinds: kubernetes-models (schema) and @kubernetes/client-node (field names)
// ---------------------------------------------------------------------------------------------

function splitApiVersion(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const pascal = s => s.charAt(0).toUpperCase() + s.slice(1);

const modelCache = new Map();

// The kubernetes-models class for apiVersion and kind, or null when the API has no such kind.
async function kubernetesModel(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!modelCache.has(key)) {
    const { group, version } = splitApiVersion(apiVersion);
    if (!/^[a-z0-9.-]*$/.test(group) || !/^v[0-9a-z]+$/.test(version)) {
      modelCache.set(key, null);
    } else {
      try {
        const module = await import(`kubernetes-models/${group ? `${group}/` : ""}${version}`);
        modelCache.set(key, typeof module[kind] === "function" ? module[kind] : null);
      } catch {
        modelCache.set(key, null);
      }
    }
  }
  return modelCache.get(key);
}

// The @kubernetes/client-node class of a top-level kind: V1Deployment, V2HorizontalPodAutoscaler;
// the generator prefixes the group where two groups share a kind (CoreV1Event, EventsV1Event).
function clientModel(apiVersion, kind) {
  const { group, version } = splitApiVersion(apiVersion);
  const groupName = group === "" ? "Core" : group.split(".")[0].split("-").map(pascal).join("");
  for (const name of [`${groupName}${pascal(version)}${kind}`, `${pascal(version)}${kind}`]) {
    const type = clientModels[name];
    if (typeof type?.getAttributeTypeMap === "function" && type.getAttributeTypeMap().some(a => a.baseName === "apiVersion")) return name;
  }
  return null;
}

function parseType(type) {
  let m = /^Array<(.*)>$/.exec(type);
  if (m) return { array: parseType(m[1]) };
  m = /^\{ \[key: string\]: (.*); \}$/.exec(type);
  if (m) return { map: parseType(m[1]) };
  return { name: type };
}

// Refuses fields the API does not have, walking the object along the generated field lists.
// Scalar types are left to the schema validation; here only shapes and names.
function unknownFields(value, type, at, errors) {
  if (value === null || value === undefined) return;
  if (type.array) {
    if (!Array.isArray(value)) return errors.push(`${at}: must be a list`);
    value.forEach((item, i) => unknownFields(item, type.array, `${at}[${i}]`, errors));
    return;
  }
  if (type.map) {
    if (typeof value !== "object" || Array.isArray(value)) return errors.push(`${at}: must be a mapping`);
    for (const [key, item] of Object.entries(value)) unknownFields(item, type.map, `${at}.${key}`, errors);
    return;
  }
  const model = clientModels[type.name];
  if (typeof model?.getAttributeTypeMap !== "function") return; // string, number, IntOrString, any, ...
  if (typeof value !== "object" || Array.isArray(value)) return errors.push(`${at}: must be a mapping (${type.name})`);
  const fields = new Map(model.getAttributeTypeMap().map(a => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value)) {
    const fieldType = fields.get(key);
    if (fieldType === undefined) {
      const near = closest(key, [...fields.keys()]);
      errors.push(`${at ? `${at}.` : ""}${key}: unknown field${near ? ` (did you mean "${near}"?)` : ""}`);
    } else {
      unknownFields(item, parseType(fieldType), at ? `${at}.${key}` : key, errors);
    }
  }
}

function closest(word, candidates) {
  let best = null, bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : null;
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

async function validateBuiltIn(object) {
  const Model = await kubernetesModel(object.apiVersion, object.kind);
  const clientName = clientModel(object.apiVersion, object.kind);
  if (!Model || !clientName) return null; // not a Kubernetes kind
  const errors = [];
  try {
    new Model(structuredClone(object)).validate();
  } catch (e) {
    // "data/spec/template/spec/containers/0/ports/0/containerPort must be integer" -> "spec.template.spec.containers[0].ports[0].containerPort ..."
    errors.push(...String(e.message).split(/,\s*(?=data\/)/).map(m => m.replace(/^data\/?/, "").replace(/\/(\d+)(?=[/ ]|$)/g, "[$1]").replaceAll("/", ".")));
  }
  unknownFields(object, { name: clientName }, "", errors);
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Custom resources: the vendored CRDs' openAPIV3Schema
// ---------------------------------------------------------------------------------------------

function loadCrds() {
  const dir = path.join(here, "crds");
  const crds = [];
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".yaml")).sort()) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), "utf8"))) {
      const crd = doc.toJS();
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions) {
        crds.push({ file, group: crd.spec.group, kind: crd.spec.names.kind, version: version.name, served: version.served, schema: version.schema?.openAPIV3Schema });
      }
    }
  }
  return crds;
}

// Makes a structural schema strict the way the API server is: an object that lists its
// properties accepts no others unless it says x-kubernetes-preserve-unknown-fields; int-or-string
// becomes a JSON Schema union. Descriptions are dropped to keep the compiled validators small.
function strictSchema(schema) {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "description" || key === "example") continue;
    out[key] = key === "properties" || key === "patternProperties" || key === "definitions"
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictSchema(v)]))
      : strictSchema(value);
  }
  if (out["x-kubernetes-int-or-string"]) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

function crdValidators(crds) {
  // The patterns are Go regular expressions, written for RE2: without the u flag, JavaScript reads them alike.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false, unicodeRegExp: false });
  addFormats(ajv);
  ajv.addFormat("int32", { type: "number", validate: n => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: n => Number.isInteger(n) });
  for (const name of ["quantity", "byte", "double", "float", "int-or-string"]) ajv.addFormat(name, true);
  const validators = new Map();
  for (const crd of crds) {
    if (!crd.served || !crd.schema) continue;
    const schema = strictSchema(crd.schema);
    // metadata is validated as the API's ObjectMeta below, not by the CRD (which says only "object").
    if (schema.properties) schema.properties.metadata = { type: "object" };
    const key = `${crd.group}/${crd.version}/${crd.kind}`;
    if (!validators.has(key)) validators.set(key, []);
    validators.get(key).push({ file: crd.file, validate: ajv.compile(schema) });
  }
  return validators;
}

async function validateCustom(object, validators) {
  const list = validators.get(`${object.apiVersion}/${object.kind}`);
  if (!list) return null;
  const errors = [];
  for (const { file, validate } of list) {
    if (!validate(object)) {
      for (const e of validate.errors) {
        const at = e.instancePath.slice(1).replaceAll("/", ".");
        const what = e.keyword === "additionalProperties" ? `${e.params.additionalProperty}: unknown field` : e.message;
        errors.push(`${at ? `${at}${e.keyword === "additionalProperties" ? "." : ": "}` : ""}${what} (schema ${file})`);
      }
    }
  }
  const metaErrors = [];
  unknownFields(object.metadata, { name: "V1ObjectMeta" }, "metadata", metaErrors);
  return [...new Set([...errors, ...metaErrors])];
}

// ---------------------------------------------------------------------------------------------
// References between objects
// ---------------------------------------------------------------------------------------------

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);
const STANDARD_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
// What an env var's fieldRef may name (besides metadata.labels['k'] and metadata.annotations['k']).
const DOWNWARD_FIELDS = new Set(["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
  "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"]);
// Secrets that an operator creates, so they are not in the rendered output: the Zalando operator's
// credentials, <user>.<cluster>.credentials.postgresql.acid.zalan.do, keys username and password.
const ZALANDO_SECRET = /^([^.]+)\.([^.]+)\.credentials\.postgresql\.acid\.zalan\.do$/;

const id = o => `${o.kind}/${o.metadata?.name}`;
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function checkReferences(objects) {
  const problems = [];
  const report = (object, message) => problems.push({ id: id(object), message });
  const byKind = kind => objects.filter(o => o.kind === kind);
  const find = (kind, name) => objects.find(o => o.kind === kind && o.metadata?.name === name);
  const workloads = objects.filter(o => WORKLOADS.has(o.kind) && o.spec?.template);
  const podLabels = w => w.spec.template.metadata?.labels ?? {};

  for (const o of objects) {
    const name = o.metadata?.name;
    if (typeof name !== "string") continue; // the schema reports it
    if (!(o.kind === "Service" ? DNS_LABEL : DNS_SUBDOMAIN).test(name) || name.length > (o.kind === "Service" ? 63 : 253)) {
      report(o, `metadata.name "${name}" is not a valid ${o.kind === "Service" ? "DNS-1035 label" : "DNS-1123 subdomain"}`);
    }
    for (const [where, labels] of [["metadata.labels", o.metadata?.labels], ["spec.template.metadata.labels", o.spec?.template?.metadata?.labels]]) {
      for (const [k, v] of Object.entries(labels ?? {})) {
        if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) report(o, `${where}.${k}: "${v}" is not a valid label value`);
      }
    }
  }

  for (const w of workloads) {
    const selector = w.spec.selector?.matchLabels;
    if (w.kind !== "Job" && (!selector || !matches(selector, podLabels(w)))) {
      report(w, "spec.selector.matchLabels does not match spec.template.metadata.labels");
    }
    const pod = w.spec.template.spec ?? {};
    const account = pod.serviceAccountName;
    if (account && account !== "default" && !find("ServiceAccount", account)) report(w, `serviceAccountName ${account}: no such ServiceAccount`);
    const volumes = pod.volumes ?? [];
    for (const v of volumes) {
      if (v.configMap && !v.configMap.optional) checkConfigMap(w, v.configMap.name, null, `volumes.${v.name}`);
      if (v.secret && !v.secret.optional) checkSecret(w, v.secret.secretName, null, `volumes.${v.name}`);
    }
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const at = `container ${c.name}`;
      const defined = new Set();
      for (const e of c.env ?? []) {
        for (const [, ref] of String(e.value ?? "").matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(ref)) report(w, `${at}: env ${e.name} uses $(${ref}), which is not defined before it in env (Kubernetes would leave it as text)`);
        }
        defined.add(e.name);
        const field = e.valueFrom?.fieldRef?.fieldPath;
        if (field !== undefined && !DOWNWARD_FIELDS.has(field) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(field)) {
          report(w, `${at}: env ${e.name}: fieldRef ${field} is not a field the downward API offers`);
        }
        const cm = e.valueFrom?.configMapKeyRef, s = e.valueFrom?.secretKeyRef;
        if (cm && !cm.optional) checkConfigMap(w, cm.name, cm.key, `${at}: env ${e.name}`);
        if (s && !s.optional) checkSecret(w, s.name, s.key, `${at}: env ${e.name}`);
      }
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !from.configMapRef.optional) checkConfigMap(w, from.configMapRef.name, null, `${at}: envFrom`);
        if (from.secretRef && !from.secretRef.optional) checkSecret(w, from.secretRef.name, null, `${at}: envFrom`);
      }
      for (const kind of ["requests", "limits"]) {
        for (const resource of Object.keys(c.resources?.[kind] ?? {})) {
          if (!STANDARD_RESOURCES.has(resource) && !resource.startsWith("hugepages-") && !resource.includes("/")) {
            report(w, `${at}: resources.${kind}.${resource} is not a resource Kubernetes knows (cpu, memory, ephemeral-storage, hugepages-*, or a domain/name)`);
          }
        }
      }
      const ports = new Set((c.ports ?? []).map(p => p.name).filter(Boolean));
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port ?? c[probe]?.grpc?.port;
        if (typeof port === "string" && !ports.has(port)) report(w, `${at}: ${probe} uses port "${port}", which the container does not name`);
      }
      const mounts = new Set(volumes.map(v => v.name));
      for (const m of c.volumeMounts ?? []) if (!mounts.has(m.name)) report(w, `${at}: volumeMount ${m.name}: no such volume`);
    }
  }

  function checkConfigMap(owner, name, key, at) {
    const cm = find("ConfigMap", name);
    if (!cm) return report(owner, `${at}: ConfigMap ${name} does not exist`);
    if (key && !(key in (cm.data ?? {})) && !(key in (cm.binaryData ?? {}))) report(owner, `${at}: ConfigMap ${name} has no key ${key}`);
  }

  function checkSecret(owner, name, key, at) {
    const secret = find("Secret", name);
    if (secret) {
      if (key && !(key in (secret.data ?? {})) && !(key in (secret.stringData ?? {}))) report(owner, `${at}: Secret ${name} has no key ${key}`);
      return;
    }
    const zalando = ZALANDO_SECRET.exec(name ?? "");
    if (zalando) {
      const [, user, cluster] = zalando;
      const pg = objects.find(o => o.kind === "postgresql" && o.metadata?.name === cluster);
      if (!pg) return report(owner, `${at}: Secret ${name} would come from a postgresql cluster ${cluster}, which does not exist`);
      if (!(user in (pg.spec?.users ?? {}))) report(owner, `${at}: Secret ${name}: postgresql ${cluster} has no user ${user}`);
      if (key && key !== "username" && key !== "password") report(owner, `${at}: Secret ${name} has only the keys username and password`);
      return;
    }
    report(owner, `${at}: Secret ${name} does not exist and no operator here creates it`);
  }

  for (const s of byKind("Service")) {
    if (!s.spec?.selector) continue;
    const targets = workloads.filter(w => matches(s.spec.selector, podLabels(w)));
    if (targets.length === 0) { report(s, "spec.selector matches no pod template"); continue; }
    const named = new Set(targets.flatMap(w => (w.spec.template.spec?.containers ?? []).flatMap(c => (c.ports ?? []).map(p => p.name))));
    for (const p of s.spec.ports ?? []) {
      if (typeof p.targetPort === "string" && !named.has(p.targetPort)) report(s, `port ${p.name ?? p.port}: targetPort "${p.targetPort}" is named by no container it selects`);
    }
  }

  for (const ing of byKind("Ingress")) {
    const backends = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap(r => (r.http?.paths ?? []).map(p => p.backend))].filter(Boolean);
    for (const b of backends) {
      if (!b.service) continue;
      const svc = find("Service", b.service.name);
      if (!svc) { report(ing, `backend service ${b.service.name} does not exist`); continue; }
      const port = b.service.port ?? {};
      const ok = (svc.spec?.ports ?? []).some(p => (port.name !== undefined && p.name === port.name) || (port.number !== undefined && p.port === port.number));
      if (!ok) report(ing, `backend service ${b.service.name} has no port ${port.name ?? port.number}`);
    }
  }

  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = find(ref.kind, ref.name);
    if (!target) { report(hpa, `scaleTargetRef ${ref.kind}/${ref.name} does not exist`); continue; }
    if (hpa.spec.minReplicas > hpa.spec.maxReplicas) report(hpa, "minReplicas is above maxReplicas");
    for (const metric of hpa.spec.metrics ?? []) {
      const resource = metric.resource?.name;
      if (metric.type !== "Resource" || metric.resource?.target?.type !== "Utilization") continue;
      // Utilization is a share of the request: a container without one leaves the HPA blind.
      for (const c of target.spec?.template?.spec?.containers ?? []) {
        if (!c.resources?.requests?.[resource]) report(hpa, `scales on ${resource} utilization but container ${c.name} of ${id(target)} requests no ${resource}`);
      }
    }
  }

  for (const pdb of byKind("PodDisruptionBudget")) {
    if (!workloads.some(w => matches(pdb.spec?.selector?.matchLabels, podLabels(w)))) report(pdb, "spec.selector matches no pod template");
  }

  // A policy whose selector matches nothing protects nothing, and one whose peer or named port is
  // misspelt blocks the traffic it meant to let through: both fail silently on a cluster.
  for (const policy of byKind("NetworkPolicy")) {
    const targets = workloads.filter(w => matches(policy.spec?.podSelector?.matchLabels, podLabels(w)));
    if (targets.length === 0) { report(policy, "spec.podSelector matches no pod template"); continue; }
    const named = new Set(targets.flatMap(w => (w.spec.template.spec?.containers ?? []).flatMap(c => (c.ports ?? []).map(p => p.name))));
    for (const [i, rule] of (policy.spec.ingress ?? []).entries()) {
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector && !workloads.some(w => matches(peer.podSelector.matchLabels, podLabels(w)))) {
          report(policy, `ingress[${i}]: from podSelector matches no pod template`);
        }
      }
      for (const p of rule.ports ?? []) {
        if (typeof p.port === "string" && !named.has(p.port)) report(policy, `ingress[${i}]: port "${p.port}" is named by no container it selects`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const overlaysDir = path.join(options.k8s, "overlays");
  if (!fs.existsSync(overlaysDir)) fail(`${overlaysDir} does not exist`);
  const overlays = fs.readdirSync(overlaysDir).filter(d => fs.existsSync(path.join(overlaysDir, d, "kustomization.yaml"))).sort();
  if (overlays.length === 0) fail(`no overlay (a folder with kustomization.yaml) under ${overlaysDir}`);

  let kubectl;
  try {
    kubectl = await findKubectl();
  } catch (e) {
    fail(e.message);
  }
  const crds = loadCrds();
  const validators = crdValidators(crds);
  console.log(`k8s check: rendering with ${kubectl.describe}; CRDs: ${[...new Set(crds.map(c => c.file))].join(", ")}`);
  if (options.jsonOut) fs.mkdirSync(options.jsonOut, { recursive: true });

  let failed = 0, passed = 0;
  for (const overlay of overlays) {
    const dir = path.join(overlaysDir, overlay);
    const rendered = render(kubectl, dir);
    if (rendered.error) {
      console.log(`FAIL overlays/${overlay}: kustomize could not render it:\n  ${rendered.error.replaceAll("\n", "\n  ")}`);
      failed++;
      continue;
    }
    const lines = [];
    for (const object of rendered.objects) {
      if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
        lines.push(`${id(object)}: apiVersion and kind are required`);
        continue;
      }
      const errors = (await validateBuiltIn(object)) ?? (await validateCustom(object, validators));
      if (errors === null) lines.push(`${object.apiVersion} ${id(object)}: no schema for this kind (not a Kubernetes kind, and no CRD in k8s/check/crds/)`);
      else lines.push(...errors.map(e => `${object.apiVersion} ${id(object)}: ${e}`));
    }
    lines.push(...checkReferences(rendered.objects).map(p => `${p.id}: ${p.message}`));
    if (options.jsonOut) fs.writeFileSync(path.join(options.jsonOut, `${overlay}.json`), JSON.stringify(rendered.objects, null, 2));
    if (lines.length === 0) {
      passed++;
      const kinds = {};
      for (const o of rendered.objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
      console.log(`ok   overlays/${overlay}: ${rendered.objects.length} objects valid (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")})`);
    } else {
      failed++;
      console.log(`FAIL overlays/${overlay}: ${lines.length} problem${lines.length === 1 ? "" : "s"}`);
      for (const line of lines) console.log(`  ${line}`);
    }
  }
  console.log(`k8s check: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
