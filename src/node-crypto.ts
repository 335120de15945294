// node:crypto, loaded on first use. Loading it costs ~6 ms, a good part of a `pgpro lint` answered from
// its memo, which hashes nothing (see src/lint/run-memo.ts): the modules on that path import it only here.
import { createRequire } from 'node:module';

type NodeCrypto = typeof import('node:crypto');

let loaded: NodeCrypto | undefined;

export function nodeCrypto(): NodeCrypto {
  return (loaded ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto);
}
