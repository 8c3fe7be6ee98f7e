// Loaded with `node --import` into a whole CLI process by bench.ts: prints its peak RSS on exit (stderr, one JSON line).
process.on('exit', () => process.stderr.write(`${JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`));
