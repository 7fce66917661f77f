// Imported first: entries capture their logger when loaded, and some load with the benchmark's
// own imports, before main() runs.
process.env.VTN_LOG_LEVEL = 'silent';
