import { TerraformOutput, Testing } from 'cdktf';
import { ClusterPki, type ClusterPkiProps } from '../lib/rke2/pki';

function synth(props: ClusterPkiProps = { clusterName: 'webhost-test' }) {
  let pki!: ClusterPki;
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      pki = new ClusterPki(scope, 'Pki', props);
    }),
  );
  return { json, pki };
}

describe('ClusterPki', () => {
  const { json, pki } = synth();
  const certs = Object.values<any>(json.resource.tls_self_signed_cert);
  const keys = json.resource.tls_private_key as Record<string, any>;

  test('creates the five RKE2 CAs as ten-year ECDSA P-256 CA certificates', () => {
    expect(certs.map((c) => c.subject[0].common_name).sort()).toEqual(
      [
        'etcd-peer-ca@webhost-test',
        'etcd-server-ca@webhost-test',
        'rke2-client-ca@webhost-test',
        'rke2-request-header-ca@webhost-test',
        'rke2-server-ca@webhost-test',
      ],
    );
    for (const cert of certs) {
      expect(cert).toMatchObject({ is_ca_certificate: true, validity_period_hours: 87600 });
      expect(cert.allowed_uses).toContain('cert_signing');
      expect(cert.early_renewal_hours).toBeUndefined();
      const keyRef = /^\$\{tls_private_key\.(\w+)\.private_key_pem\}$/.exec(cert.private_key_pem);
      expect(keyRef).not.toBeNull();
      expect(keys[keyRef![1]]).toEqual({ algorithm: 'ECDSA', ecdsa_curve: 'P256' });
    }
    // Each CA has a key of its own.
    expect(new Set(certs.map((c) => c.private_key_pem)).size).toBe(5);
  });

  test('creates an RSA service-account signing key', () => {
    const [id] = Object.entries(keys).find(([, k]) => k.algorithm === 'RSA')!;
    expect(keys[id]).toEqual({ algorithm: 'RSA', rsa_bits: 2048 });
    expect(pki.serviceAccountKeyPem).not.toEqual(pki.serverCa.keyPem);
  });

  test('signs two client certificates with the client CA, renewed a month before expiry', () => {
    const certs = Object.values<any>(json.resource.tls_locally_signed_cert);
    expect(certs).toHaveLength(2);
    const clientCa = Object.entries<any>(json.resource.tls_self_signed_cert).find(([, c]) =>
      c.subject[0].common_name.startsWith('rke2-client-ca'),
    )!;
    for (const cert of certs) {
      expect(cert).toMatchObject({
        ca_cert_pem: `\${tls_self_signed_cert.${clientCa[0]}.cert_pem}`,
        ca_private_key_pem: clientCa[1].private_key_pem,
        validity_period_hours: 8760,
        early_renewal_hours: 720,
        allowed_uses: ['client_auth', 'digital_signature', 'key_encipherment'],
      });
    }
    const subjects = Object.values<any>(json.resource.tls_cert_request).map((r) => r.subject[0]);
    expect(subjects).toEqual([
      // Break-glass: system:masters bypasses RBAC.
      { common_name: 'platform-admin', organization: 'system:masters' },
      // The platform stacks': rights from a ClusterRoleBinding only, revocable.
      { common_name: 'platform-deployer', organization: 'platform:deployers' },
    ]);
    expect(pki.platformDeployer.keyPem).not.toEqual(pki.admin.keyPem);
  });

  test('makes secure join tokens pinned to the server CA: one for servers, another for agents', () => {
    const passwords = Object.entries<any>(json.resource.random_password);
    expect(passwords.map(([, p]) => p)).toEqual([
      { length: 48, special: false },
      { length: 48, special: false },
    ]);
    const serverCa = Object.entries<any>(json.resource.tls_self_signed_cert).find(([, c]) =>
      c.subject[0].common_name.startsWith('rke2-server-ca'),
    )![0];
    const resolved = Testing.synthScope((scope) => {
      const p = new ClusterPki(scope, 'Pki', { clusterName: 'webhost-test' });
      new TerraformOutput(scope, 'token', { value: p.joinToken, sensitive: true });
      new TerraformOutput(scope, 'agent', { value: p.agentJoinToken, sensitive: true });
      new TerraformOutput(scope, 'agent_password', { value: p.agentTokenPassword, sensitive: true });
    });
    const output = JSON.parse(resolved).output;
    const ref = (name: string) => `random_password.${passwords.find(([id]) => id.includes(name))![0]}.result`;
    const [server, agent] = [ref('JoinTokenSecret'), ref('AgentTokenSecret')];
    const hash = `sha256(tls_self_signed_cert.${serverCa}.cert_pem)`;
    expect(output.token.value).toBe(`\${join("", ["K10", ${hash}, "::server:", ${server}])}`);
    // RKE2's `node` user: an agent token can join agents only.
    expect(output.agent.value).toBe(`\${join("", ["K10", ${hash}, "::node:", ${agent}])}`);
    expect(output.agent_password.value).toBe(`\${${agent}}`);
    expect(server).not.toBe(agent);
  });

  test.each<[string, Partial<ClusterPkiProps>, string]>([
    ['a CA shorter than the renewal window', { caValidityHours: 24 }, 'Pki: caValidityHours 24: must be a whole number of hours above 720 (the renewal window); use at least 8760 (1 year)'],
    ['an admin certificate outliving its CA', { caValidityHours: 8760, adminValidityHours: 17520 }, 'Pki: adminValidityHours 17520: outlives the CA (8760 h); keep it below caValidityHours'],
  ])('rejects %s', (_, props, message) => {
    expect(() => synth({ clusterName: 'x', ...props })).toThrow(message);
  });
});
