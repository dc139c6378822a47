'use strict';
// The peer that issue 14 measured: one INSERT per request on a table with three indexes, a worker per
// core. PEER_PORT, PEER_DB (a postgres:// URL) and PEER_WORKERS (default: the cores) configure it.
const cluster = require('node:cluster');
const os = require('node:os');
const crypto = require('node:crypto');

const workers = Number(process.env.PEER_WORKERS || os.cpus().length);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => { if (code !== 0) process.exit(code); });
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
} else {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: process.env.PEER_DB, max: 16 });
  const app = require('fastify')({ logger: false });
  const insert = 'INSERT INTO peer_events (id, type, status, user_id, session_id, duration_ms, properties) '
    + 'VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING received_at';

  app.get('/health/ready', async () => ({ status: 'ok' }));
  app.post('/v1/events', async (request, reply) => {
    const e = request.body;
    if (!e || typeof e.type !== 'string' || e.type.length === 0) return reply.code(422).send({ errors: { type: ['is required'] } });
    const id = e.id || crypto.randomUUID();
    const { rows } = await pool.query({ name: 'insert', text: insert, values: [id, e.type, e.status ?? null, e.user_id ?? null, e.session_id ?? null, e.duration_ms ?? null, e.properties ?? {}] });
    return reply.code(201).send({ id, received_at: rows[0].received_at });
  });
  app.listen({ port: Number(process.env.PEER_PORT || 8090), host: '127.0.0.1' });
}
