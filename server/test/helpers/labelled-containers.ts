import { randomBytes } from 'node:crypto';
import { docker, TEST_IMAGE } from './docker.js';

/**
 * Containers one test file creates under a label of its own and a name prefix unique to this run; `removeAll`
 * removes those and nothing else. Unlike `TestContainers`, the label is chosen by the caller, and a name can
 * be used again after its container was removed (for tests of re-created containers).
 */
export class LabelledContainers {
  readonly prefix = `dps-${process.pid}-${randomBytes(3).toString('hex')}-`;
  private readonly created = new Set<string>();

  constructor(readonly label: string) {}

  /** `docker run -d` a busybox `sleep 1d` named `<prefix><name>`; returns its full id. */
  async run(name: string): Promise<string> {
    const id = await docker(['run', '-d', '--label', this.label, '--name', this.prefix + name, TEST_IMAGE, 'sleep', '1d']);
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`docker run printed no container id: ${JSON.stringify(id)}`);
    this.created.add(id);
    return id;
  }

  /** `docker rm -f`. */
  async remove(id: string): Promise<void> {
    await docker(['rm', '-f', id]);
    this.created.delete(id);
  }

  /** Removes every container this run created, by id and by label plus name prefix. */
  async removeAll(): Promise<void> {
    const listed = await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${this.label}`, '--filter', `name=^${this.prefix}`]).catch(
      () => '',
    );
    const ids = new Set([...this.created, ...listed.split('\n').filter(Boolean)]);
    this.created.clear();
    if (ids.size > 0) await docker(['rm', '-f', '-v', ...ids]).catch(() => undefined);
  }
}
