import { ConfigError } from '../lambdas/core/config';
import { localOptions, LocalSettingsError, startLocalVtn } from './vtn';

async function main(): Promise<void> {
  const options = localOptions();
  const vtn = await startLocalVtn(options);
  const database = options.dynamodbEndpoint
    ? `DynamoDB at ${vtn.databaseEndpoint}`
    : `embedded dynalite (${options.dataDir === 'memory' ? 'in memory' : `data in ${options.dataDir}`})`;
  const webhooks =
    process.env.VTN_WEBHOOK_ALLOW_PRIVATE === 'true'
      ? 'webhooks may call local and private addresses'
      : 'webhooks to local or private addresses are refused (VTN_WEBHOOK_ALLOW_PRIVATE=true allows them)';
  process.stdout.write(`OpenADR 3.1.0 VTN listening on ${vtn.url}\n  table ${vtn.tableName} on ${database}\n  ${webhooks}\n  Ctrl-C stops it\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping...\n');
    vtn.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof LocalSettingsError;
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === 'EADDRINUSE' ? `the port is in use; set PORT to another one (${(error as Error).message})`
    : known ? (error as Error).message
    : (error as Error).stack ?? String(error);
  process.stderr.write(`could not start the local VTN: ${message}\n`);
  process.exit(1);
});
