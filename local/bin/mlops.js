#!/usr/bin/env node
// The `mlops` command. The project is TypeScript run as-is: tsx's loader is registered for
// this process and, through NODE_OPTIONS, for the child processes it starts (training jobs,
// model servers), whatever their working folder.
const loader = import.meta.resolve('tsx');
if (!(process.env.NODE_OPTIONS ?? '').includes(loader)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${loader}`.trim();
}
await import(loader);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
