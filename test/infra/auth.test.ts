import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BASE_PATH, RESOURCES, TOKEN_PATH } from '../../lambdas/routes';
import { ContextError, vtnStackProps } from '../../lib/context';
import { VtnStack, type VtnStackProps } from '../../lib/vtn-stack';

// The template is what is asserted; bundling the functions here would only slow the tests down.
function synth(props: Partial<VtnStackProps> = {}) {
  const stack = new VtnStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', { stage: 'test', ...props });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any; DependsOn?: string[] }>;
const idsOf = (type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
// The alarm topic has its own key (test/infra/monitoring.test.ts).
const signingKeys = () => idsOf('AWS::KMS::Key').filter((id) => resources[id].Properties.KeyUsage === 'SIGN_VERIFY');
const [keyId] = signingKeys();
const apiFunctions = Object.fromEntries(
  RESOURCES.map((resource) => [resource.name, idsOf('AWS::Lambda::Function').find((id) => id.startsWith(`Api${resource.name[0].toUpperCase()}${resource.name.slice(1)}Function`))!]),
);
const tokenFunction = apiFunctions[RESOURCES.find((resource) => resource.paths.includes(TOKEN_PATH))!.name];
const [publicKeyValue] = idsOf('AWS::CloudFormation::CustomResource');

/** Every statement of every policy attached to the function's role. */
function statementsOf(functionId: string): { Action: string | string[]; Resource: unknown }[] {
  const roleId = resources[functionId].Properties.Role['Fn::GetAtt'][0];
  return idsOf('AWS::IAM::Policy')
    .map((id) => resources[id].Properties)
    .filter((policy) => policy.Roles.some((role: { Ref: string }) => role.Ref === roleId))
    .flatMap((policy) => policy.PolicyDocument.Statement);
}
const kmsActions = (functionId: string) => statementsOf(functionId).flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('kms:'));

test('one asymmetric RSA 2048 signing key in KMS, scheduled for deletion with the stack', () => {
  expect(signingKeys()).toHaveLength(1);
  template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PendingWindowInDays: 7 }), DeletionPolicy: 'Delete' });
});

test('only the token function may sign, only with that key; no other function touches KMS but the public-key reader', () => {
  expect(statementsOf(tokenFunction).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:')))).toEqual([
    expect.objectContaining({ Action: 'kms:Sign', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
  ]);
  for (const id of idsOf('AWS::Lambda::Function').filter((id) => id !== tokenFunction)) {
    expect({ id, kms: kmsActions(id).filter((action) => action !== 'kms:GetPublicKey') }).toEqual({ id, kms: [] });
  }
  const readers = idsOf('AWS::Lambda::Function').filter((id) => kmsActions(id).includes('kms:GetPublicKey'));
  expect(readers).toHaveLength(1);
  expect(Object.values(apiFunctions)).not.toContain(readers[0]);
});

test("every API function verifies with the key's public half, read at deploy time; only the token function knows the key", () => {
  expect(resources[publicKeyValue].Properties.KeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  for (const [name, id] of Object.entries(apiFunctions)) {
    const environment = resources[id].Properties.Environment.Variables;
    expect(environment.VTN_TOKEN_PUBLIC_KEY).toEqual({ 'Fn::GetAtt': [publicKeyValue, 'PublicKey'] });
    expect(JSON.stringify(environment.VTN_TOKEN_ISSUER)).toContain(BASE_PATH);
    expect({ name, signs: 'VTN_TOKEN_KMS_KEY_ID' in environment }).toEqual({ name, signs: id === tokenFunction });
    // Authentication is never turned off in AWS.
    expect(environment).not.toHaveProperty('VTN_AUTH');
  }
  expect(resources[tokenFunction].Properties.Environment.Variables.VTN_TOKEN_KMS_KEY_ID).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
});

test('the token route has its own, lower throttle; the key set and /auth/server are routed to the token function', () => {
  const [stageId] = idsOf('AWS::ApiGatewayV2::Stage');
  const stage = resources[stageId];
  const routeKey = `ANY ${BASE_PATH}${TOKEN_PATH}`;
  expect(stage.Properties.RouteSettings).toEqual({ [routeKey]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } });
  const tokenRoute = idsOf('AWS::ApiGatewayV2::Route').find((id) => resources[id].Properties.RouteKey === routeKey)!;
  expect(stage.DependsOn).toContain(tokenRoute);
  for (const path of ['/auth/server', TOKEN_PATH, '/.well-known/jwks.json']) {
    expect(idsOf('AWS::ApiGatewayV2::Route').some((id) => resources[id].Properties.RouteKey === `ANY ${BASE_PATH}${path}`)).toBe(true);
  }
  template.hasOutput('JwksUrl', Match.anyValue());
});

test('cdk-nag: API Gateway authorization (APIG4) is acknowledged because the functions enforce it', () => {
  const acknowledged = stack.node.metadata.filter((entry) => entry.type === 'aws:cdk:acknowledged-rules').map((entry) => entry.data as Record<string, string>);
  expect(Object.assign({}, ...acknowledged)['Annotation::AwsSolutions-APIG4']).toMatch(/enforced in the functions/);
});

test('context: issuer, audience, lifetime, the token throttle and an external issuer reach every function', () => {
  const props = vtnStackProps(
    (key) =>
      ({
        tokenIssuer: 'https://vtn.example.com/openadr3/3.1.0',
        tokenLifetimeSeconds: '900',
        tokenThrottleRate: '5',
        externalIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        externalJwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json',
        externalScopePrefix: 'openadr/',
        externalClientIdClaim: 'client_id',
      })[key],
  );
  const configured = synth(props).template;
  configured.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        VTN_TOKEN_ISSUER: 'https://vtn.example.com/openadr3/3.1.0',
        VTN_TOKEN_LIFETIME_S: '900',
        VTN_EXTERNAL_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
        VTN_EXTERNAL_SCOPE_PREFIX: 'openadr/',
        VTN_EXTERNAL_CLIENT_ID_CLAIM: 'client_id',
      }),
    },
  });
  configured.hasResourceProperties('AWS::ApiGatewayV2::Stage', { RouteSettings: { [`ANY ${BASE_PATH}${TOKEN_PATH}`]: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 20 } } });
  expect(() => vtnStackProps((key) => (key === 'externalIssuer' ? 'https://idp.example.com' : undefined))).toThrow(ContextError);
  expect(() => vtnStackProps((key) => (key === 'tokenLifetimeSeconds' ? '5' : undefined))).toThrow(/tokenLifetimeSeconds/);
});
