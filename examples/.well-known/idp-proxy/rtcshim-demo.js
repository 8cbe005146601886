/* The IdP proxy of rtcshim's demo identity provider (W3C webrtc-identity).
 *
 * A browser loads it from https://<idp>/.well-known/idp-proxy/rtcshim-demo (http for an IdP
 * on this machine) into an isolated realm, where `rtcIdentityProvider`, `RTCError` and
 * `location` (this script's URL) are given. The IdP's server holds the signing key: this
 * script only asks it to sign and to check (server/demo_idp.py). */
'use strict';

// `refused`: the errorDetail when the IdP's server refuses the request (4xx).
async function askIdp(path, body, refused) {
  // text/plain: a simple request, no CORS preflight from the realm's opaque origin.
  const response = await fetch(new URL(path, location), {
    method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    const refusedRequest = response.status >= 400 && response.status < 500;
    throw new RTCError({ errorDetail: refusedRequest ? refused : 'idp-execution-failure' }, answer.error);
  }
  return answer;
}

rtcIdentityProvider.register({
  // The demo has no login page of its own: the application names its user in usernameHint.
  async generateAssertion(contents, origin, options) {
    if (!options.usernameHint) {
      const error = new RTCError({ errorDetail: 'idp-need-login' }, 'the demo IdP needs a usernameHint naming the user');
      error.idpLoginUrl = new URL('/examples/identity.html', location).href;
      throw error;
    }
    // A refusal (a name of another domain) fits no more specific errorDetail.
    const { token } = await askIdp('/idp/rtcshim-demo/sign', { identity: options.usernameHint, contents }, 'idp-execution-failure');
    return { idp: { domain: location.host, protocol: 'rtcshim-demo' }, assertion: token };
  },

  async validateAssertion(assertion, origin) {
    // The IdP did not sign this token: idp-token-invalid is the spec's word for it.
    const { identity, contents } = await askIdp('/idp/rtcshim-demo/verify', { token: assertion }, 'idp-token-invalid');
    return { identity, contents };
  },
});
