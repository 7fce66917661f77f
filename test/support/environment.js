// Request logs would drown test output; a test that needs them sets its own level.
process.env.VTN_LOG_LEVEL ??= 'silent';
// The SDK's notice that it will need Node 22 after January 2027 says nothing about the tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
