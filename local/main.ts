import { ConfigError } from '../lambdas/core/config';
import { localOptions, LocalSettingsError, startLocalVtn, type LocalVtn } from './vtn';

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
  process.stdout.write(`OpenADR 3.1.0 VTN listening on ${vtn.url}\n  table ${vtn.tableName} on ${database}\n  ${webhooks}\n  ${mqtt(vtn)}\n${authentication(vtn)}  Ctrl-C stops it\n`);

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

/** Where the broker listens and what GET /notifiers advertises. */
function mqtt(vtn: LocalVtn): string {
  if (!vtn.mqttUri) return `MQTT broker off (VTN_MQTT=off)${vtn.advertisedMqttUris ? `; GET /notifiers advertises ${vtn.advertisedMqttUris.join(', ')}` : ''}`;
  const advertised = vtn.advertisedMqttUris?.join(', ') ?? vtn.mqttUri;
  const login = vtn.authentication ? 'username and MQTT client id: the client id; password: an access token' : 'anyone may connect (VTN_AUTH=off)';
  return `MQTT broker on ${vtn.mqttUri} (advertised: ${advertised}; ${login})`;
}

/** How to get a token: the clients this start made (their secrets are shown only now), with a curl line. */
function authentication(vtn: LocalVtn): string {
  if (!vtn.authentication) {
    return '  WARNING: VTN_AUTH=off: no authentication; every caller acts as a BL with every scope. Never expose this VTN.\n';
  }
  const tokenUrl = `${vtn.url}/auth/token`;
  if (vtn.generatedClients.length === 0) return `  access tokens from ${tokenUrl} (npm run clients -- list shows the clients)\n`;
  const lines = vtn.generatedClients.map(({ clientID, role, clientSecret }) => `    ${clientID.padEnd(8)} ${role.padEnd(4)} ${clientSecret}\n`);
  const { clientID, clientSecret } = vtn.generatedClients[0];
  return (
    '  clients made for this VTN (the secrets are shown only now):\n' +
    lines.join('') +
    `  a token: curl -s ${tokenUrl} -d grant_type=client_credentials -d client_id=${clientID} -d client_secret=${clientSecret}\n`
  );
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
