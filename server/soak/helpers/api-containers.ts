/**
 * Test containers made through the engine's API rather than the CLI: a cycle of create, start, stop and remove
 * costs four HTTP requests instead of three CLI processes, which is what lets a soak run hundreds of them. Each
 * is labelled and named with a prefix unique to this run, like `TestContainers`'s, and `removeAll` removes those
 * and nothing else.
 */
import { randomBytes } from 'node:crypto';
import { connectEngine } from '../../src/docker/engine.js';
import { TEST_IMAGE, TEST_LABEL } from '../../test/helpers/docker.js';

const [LABEL_KEY, LABEL_VALUE] = TEST_LABEL.split('=') as [string, string];

export class ApiContainers {
  readonly prefix = `dpsoak-${process.pid}-${randomBytes(3).toString('hex')}-`;
  private readonly docker;
  private readonly created = new Set<string>();

  /** @param env names the engine as `DOCKER_HOST` does; this process's environment by default */
  constructor(env: NodeJS.ProcessEnv = process.env) {
    const engine = connectEngine(env);
    if (!engine.ok) throw new Error(engine.error);
    this.docker = engine.value.docker;
  }

  /** Creates and starts a busybox `sleep 1d` named `<prefix><name>`; returns its full id. */
  async run(name: string): Promise<string> {
    const container = await this.docker.createContainer({
      name: this.prefix + name,
      Image: TEST_IMAGE,
      Cmd: ['sleep', '1d'],
      Labels: { [LABEL_KEY]: LABEL_VALUE },
      HostConfig: { NetworkMode: 'none' },
    });
    this.created.add(container.id);
    await container.start();
    return container.id;
  }

  /** Stops at once (busybox's `sleep` as pid 1 ignores SIGTERM). */
  async stop(id: string): Promise<void> {
    await this.docker.getContainer(id).stop({ t: 0 });
  }

  async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true, v: true });
    this.created.delete(id);
  }

  /** Removes every container this run made, by id and by label and name prefix (for a run that failed midway). */
  async removeAll(): Promise<void> {
    const listed = await this.docker
      .listContainers({ all: true, filters: { label: [TEST_LABEL], name: [`^/${this.prefix}`] } })
      .catch(() => []);
    const ids = new Set([...this.created, ...listed.map((c) => c.Id)]);
    this.created.clear();
    await Promise.all(
      [...ids].map((id) =>
        this.docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  }
}
