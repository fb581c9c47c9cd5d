/** Console assets imported `with { type: "text" }`: their contents, embedded in the compiled binary. */
declare module "*.client.js" {
  const source: string;
  export default source;
}
declare module "*.css" {
  const source: string;
  export default source;
}
