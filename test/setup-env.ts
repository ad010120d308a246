/** Tests assert on what handlers log through spies; the JSON lines themselves would only be noise. */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
