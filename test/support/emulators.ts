// The emulators a test file shares: fauxqs (SQS and S3) and kinesalite, started with the local cloud's own
// starters on OS-chosen ports, so test files running at once never collide. No DynamoDB: a test that needs it
// starts the local cloud's startEmulators (dynalite is a process of its own).
import { startFauxqsServer, startKinesalite, type ServerHandle } from '../../local/emulators';

// the SDK's Node 20 notice is noise in test output (lambdaEnvironment sets the same switch for functions)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface TestEmulators {
  endpoints: { sqs: string; s3: string; kinesis: string };
  stop(): Promise<void>;
}

export async function startTestEmulators(): Promise<TestEmulators> {
  const onFatal = (error: Error): void => console.error(`test emulators: ${error.message}`);
  const fauxqs = await startFauxqsServer(0, onFatal);
  let kinesalite: ServerHandle;
  try {
    kinesalite = await startKinesalite(0, onFatal);
  } catch (err) {
    await fauxqs.stop();
    throw err;
  }
  const sqs = `http://127.0.0.1:${fauxqs.port}`;
  return {
    endpoints: { sqs, s3: sqs, kinesis: `http://127.0.0.1:${kinesalite.port}` },
    async stop() {
      await fauxqs.stop();
      await kinesalite.stop();
    },
  };
}
