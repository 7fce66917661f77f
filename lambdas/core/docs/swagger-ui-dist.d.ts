// The files of swagger-ui-dist the documentation page serves, imported as text (see swagger-ui.ts).
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string;
  export default text;
}
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}
