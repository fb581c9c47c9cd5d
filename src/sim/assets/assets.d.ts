/** WAV prompts imported `with { type: "file" }`: the import is a path Bun.file can read, also inside the compiled binary. */
declare module "*.wav" {
  const path: string;
  export default path;
}
