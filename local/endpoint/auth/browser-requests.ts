import type { LocalRequest } from '../service';
import { accessDenied } from './authorize';

/**
 * Refuses a request a web browser sends for a page: browsers add `Origin` to every cross-origin request a page
 * makes with fetch or a form, and to every preflight (https://fetch.spec.whatwg.org/#origin-header); SDK clients
 * and the CLI never send it.
 *
 * The local endpoint listens on 127.0.0.1, where any page the user opens can reach it. No local client is a browser,
 * and no local bucket has a CORS configuration, so no browser request is one local mode must serve. On AWS an S3
 * bucket without a CORS configuration refuses a browser's preflight with 403
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html), and a cross-origin page can read a
 * response only where the service sends CORS headers (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html).
 * Refusing every request that carries `Origin` is at least that strict: a page can neither read from nor act on
 * the local account, even with credentials it should not have.
 * @throws AwsError the service's access-denied error, naming the origin
 */
export function refuseBrowserRequest(request: Pick<LocalRequest, 'service' | 'headers'>): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  throw accessDenied(
    request.service,
    `The local AWS endpoint refuses requests sent by a web page (this one carries Origin: ${origin}): local mode ` +
      'has no browser clients and answers no cross-origin request. Call it from an SDK client or the dbrefresh CLI.',
  );
}
