import type { QueryInput, XmlValue } from '../query-protocol';
import type { RdsAccount } from './account';
import type { ArnScope } from './identifiers';

/** What an RDS action works with: the account, and the region and account id its ARNs name. */
export interface RdsContext {
  readonly account: RdsAccount;
  readonly scope: ArnScope;
}

/** One RDS API action: the request's parameters in, the `<ActionResult>` content out. */
export type RdsAction = (context: RdsContext, input: QueryInput) => Promise<XmlValue>;
