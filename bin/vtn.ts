#!/usr/bin/env node
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { vtnStackProps } from '../lib/context';
import { VtnStack } from '../lib/vtn-stack';

const app = new App();
const props = vtnStackProps((key) => app.node.tryGetContext(key));
new VtnStack(app, `OpenAdr3Vtn-${props.stage}`, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: `OpenADR 3.1.0 VTN (${props.stage}${props.removalPolicy === RemovalPolicy.DESTROY ? ', destroyable' : ''})`,
});
