/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU adapter in Node. The optional package `webgpu` (Dawn, its
 * binary ships inside the package) provides `navigator.gpu`; on a machine
 * without a GPU, Mesa 25's llvmpipe (Vulkan, Debian bookworm-backports'
 * `mesa-vulkan-drivers`) is a software adapter (docs/WEBGPU.md). Everything
 * here reports why no adapter was found instead of falling back silently.
 */
import { CdmaError } from '../errors.js';

/** No usable WebGPU adapter: the message says why and what to install. */
export class WebGpuUnavailableError extends CdmaError {
  constructor(message: string) {
    super('WEBGPU_UNAVAILABLE', message);
  }
}

/** The webgpu backend's packages are optional peers of cdma: a program that wants it installs them. */
export const INSTALL_HINT =
  'install them with: npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';

export const NO_ADAPTER_HINT =
  "install the GPU's Vulkan driver, or Mesa 25's mesa-vulkan-drivers for the software adapter (see docs/WEBGPU.md)";

export type WebGpuAvailability =
  { ok: true; adapter: string; software: boolean } | { ok: false; reason: string };

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** What was found, once per process (the adapter and the module are process-wide). */
let found: Promise<{ gpu: GPU; adapter: GPUAdapter } | { reason: string }> | undefined;

async function loadDawn(): Promise<DawnModule | string> {
  try {
    const name = 'webgpu';
    return (await import(name)) as DawnModule;
  } catch (e) {
    return `the package webgpu (Dawn for Node) cannot load: ${(e as Error).message.split('\n')[0]}; ${INSTALL_HINT}`;
  }
}

/** navigator.gpu and the WebGPU globals (GPUBufferUsage, ...) for tfjs-backend-webgpu. */
function installGlobals(dawn: DawnModule, gpu: GPU): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as { gpu?: GPU } | undefined;
  if (nav && nav.gpu) return;
  if (nav) {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

async function find(): Promise<{ gpu: GPU; adapter: GPUAdapter } | { reason: string }> {
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let gpu: GPU;
  if (existing) {
    gpu = existing;
  } else {
    const dawn = await loadDawn();
    if (typeof dawn === 'string') return { reason: dawn };
    try {
      gpu = dawn.create([]);
    } catch (e) {
      return { reason: `Dawn failed to start: ${(e as Error).message}` };
    }
    installGlobals(dawn, gpu);
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { reason: `no WebGPU adapter (${(e as Error).message}): ${NO_ADAPTER_HINT}` };
  }
  if (!adapter) return { reason: `no WebGPU adapter: ${NO_ADAPTER_HINT}` };
  return { gpu, adapter };
}

/** The process's GPU and adapter, or a WebGpuUnavailableError naming why not. */
export async function webgpuAdapter(): Promise<{ gpu: GPU; adapter: GPUAdapter }> {
  found ??= find();
  const r = await found;
  if ('reason' in r) throw new WebGpuUnavailableError(r.reason);
  return r;
}

/** A software rasteriser (llvmpipe, lavapipe, SwiftShader, WARP), not a GPU. */
export function isSoftwareAdapter(info: GPUAdapterInfo, isFallback = false): boolean {
  if (isFallback || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  const text = `${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /software|llvmpipe|lavapipe|swiftshader|microsoft basic render/.test(text);
}

/** One line naming the adapter: vendor, device and driver description. */
export function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0);
  const desc = info.description && info.description.length > 0 ? ` (${info.description})` : '';
  return `${parts.join(' ') || 'unknown adapter'}${desc}`;
}

/**
 * Whether WebGPU works here, for tests to skip with the reason (never
 * silently) and for the CLI to explain itself.
 */
export async function webgpuAvailable(): Promise<WebGpuAvailability> {
  try {
    const { adapter } = await webgpuAdapter();
    const info = adapter.info;
    return { ok: true, adapter: describeAdapter(info), software: isSoftwareAdapter(info) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/**
 * A device with the adapter's largest storage-buffer limits (the defaults
 * stop at 128 MiB per binding).
 */
export async function requestWebGpuDevice(): Promise<GPUDevice> {
  const { adapter } = await webgpuAdapter();
  const l = adapter.limits;
  return adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
}
