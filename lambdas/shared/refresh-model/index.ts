/** The refresh file model: one zod schema, its type, both input forms, and the problems they report. */
export { errorsOf, type ParseResult, parseRefreshFile, type RefreshFileForm } from './parse-refresh-file';
export { formatPath, formatProblem, type Problem } from './problems';
export type {
  AuroraRefreshFile,
  Engine,
  RdsRefreshFile,
  RefreshFile,
  RestoreType,
} from './refresh-file-schema';
