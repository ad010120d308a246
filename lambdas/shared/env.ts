/** Reads a required environment variable once, failing with its name when the stack did not set it. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `Environment variable ${name} is not set; the stack sets it on every function that needs it`,
    );
  }
  return value;
}
