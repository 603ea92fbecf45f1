import { domainToASCII } from 'node:url';
import { z } from 'zod';

/**
 * A host name field: `pattern` (ASCII, lower case) with `error` as its
 * message, except that an internationalized name (`bäckerei.ch`) is told to
 * be written in punycode, with its punycode form: DNS, certificates and the
 * ingress carry only that (WHATWG's domainToASCII of Node's url module, UTS #46).
 */
export function hostNameField(pattern: RegExp, error: string) {
  return z.string().superRefine((host, ctx) => {
    const idn = idnProblem(host);
    if (idn !== undefined) ctx.addIssue({ code: 'custom', message: idn });
    else if (!pattern.test(host)) ctx.addIssue({ code: 'custom', message: error });
  });
}

/** Why a name must be written in punycode, with that form, or undefined for an ASCII name. */
export function idnProblem(host: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(host)) return undefined;
  const ascii = domainToASCII(host);
  if (ascii === '') return 'not a host name: it holds characters no domain name can have; write it in lower case as www.example.ch';
  return `an internationalized domain name; write it in punycode, the form DNS and certificates carry: ${ascii}`;
}
