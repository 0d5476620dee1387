/** A stand-in entry point for test/dev/node-version.test.ts: prints the arguments it was started with. */
process.stdout.write(JSON.stringify(process.argv.slice(1)));
