/**
 * Starts a worker thread on a module that sits next to its caller, from the
 * sources (tsx) or from the build (dist/*.js) alike. Worker threads do not
 * inherit tsx's loader, so from the sources the worker registers it before
 * importing its entry.
 */
import { Worker } from 'node:worker_threads';

/**
 * A worker running `./<entry>.ts` (sources) or `./<entry>.js` (build),
 * resolved against `callerUrl` (the caller's import.meta.url).
 */
export function startWorker(callerUrl: string, entry: string, workerData: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const url = new URL(`./${entry}.ts`, callerUrl).href;
    const boot =
      `import(${JSON.stringify(api)})` +
      `.then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(new URL(`./${entry}.js`, callerUrl), { workerData });
}
