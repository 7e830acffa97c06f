/**
 * Switches off the telemetry that onnxruntime-node's Linux build (1.30) starts
 * with the first inference session: Microsoft's 1DS client, which writes
 * /tmp/mat-debug-<pid>.log, reads /etc/machine-id and /proc/self/cmdline, and
 * parses the command line with a recursive std::regex. A command line of about
 * 29,000 characters overflows the native stack there, so any long argument (a
 * query, a --path glob) killed the process with SIGSEGV (exit 139, no message).
 * CodeGraph is offline and sends nothing, so the telemetry has no use here.
 *
 * ORT reads the variable from the C environment when it creates its
 * environment, i.e. at the first session, not at require time. Assigning
 * process.env on the main thread calls setenv, so the native side and worker
 * threads see it; a worker's process.env is a copy, which is why this module is
 * imported by the main thread too (through engine/embedding/model.ts). "0" means
 * "telemetry on" to ORT, so the value is forced rather than defaulted.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';

export {};
