import { NotFoundError } from '../../../../../lambdas/core/errors';
import { Logger } from '../../../../../lambdas/core/logger';
import type { Change } from '../../../../../lambdas/core/notifications/change';
import { MqttNotifier, type MqttNotifierStorage } from '../../../../../lambdas/core/notifications/mqtt/mqtt-notifier';
import type { Publication } from '../../../../../lambdas/core/notifications/mqtt/publisher';
import { TopicLayout } from '../../../../../lambdas/core/notifications/mqtt/topics';
import type { Program } from '../../../../../lambdas/core/openadr/types';
import type { VenGrant } from '../../../../../lambdas/core/storage/port';

const P = 'program-1';
const VEN_A = 'ven-a';
const VEN_B = 'ven-b';
const grants: VenGrant[] = [
  { venID: VEN_A, clientID: 'client-a', targets: ['group1'] },
  { venID: VEN_B, clientID: 'client-b', targets: ['group2'] },
];

/** `programTargets` null: the program does not exist. */
function notifierWith(programTargets: string[] | null = [], publish: (publications: readonly Publication[]) => Promise<void> = async () => undefined) {
  const published: Publication[] = [];
  const lines: string[] = [];
  const storage = {
    venGrants: async () => grants,
    programs: {
      get: async (id: string) => {
        if (programTargets === null || id !== P) throw new NotFoundError('PROGRAM', id);
        return { id, targets: programTargets } as unknown as Program;
      },
      deletedTargets: async () => undefined,
    },
  } as unknown as MqttNotifierStorage;
  const publisher = {
    publish: async (publications: readonly Publication[]) => {
      published.push(...publications);
      await publish(publications);
    },
  };
  const notifier = new MqttNotifier(storage, publisher, new TopicLayout('oa'), new Logger('error', {}, (line) => lines.push(line)));
  return { notifier, published, lines };
}

const change = (objectType: Change['objectType'], operation: Change['operation'], object: Record<string, unknown>): Change => ({ objectType, operation, object });
const topicsOf = (publications: Publication[]) => publications.map((publication) => publication.topic).sort();

describe('what MqttNotifier publishes', () => {
  it("publishes a program on the all-programs topic, its own (not on CREATE), and under each ven that may read it, with that ven's targets only", async () => {
    const { notifier, published } = notifierWith();
    await notifier.notify(change('PROGRAM', 'UPDATE', { id: P, objectType: 'PROGRAM', targets: ['group1', 'secret'] }));
    expect(topicsOf(published)).toEqual(['oa/programs/program-1/update', 'oa/programs/update', `oa/vens/${VEN_A}/programs/program-1/update`, `oa/vens/${VEN_A}/programs/update`]);
    const forA = published.find((publication) => publication.topic === `oa/vens/${VEN_A}/programs/update`)!.notification;
    expect(forA.object.targets).toEqual(['group1']);
    expect(forA.targets).toEqual(['group1']);
    expect(published.find((publication) => publication.topic === 'oa/programs/update')!.notification.targets).toEqual(['group1', 'secret']);

    const created = notifierWith();
    expect(await created.notifier.notify(change('PROGRAM', 'CREATE', { id: P, objectType: 'PROGRAM' }))).toEqual({ published: 3 });
    expect(topicsOf(created.published)).toEqual(['oa/programs/create', `oa/vens/${VEN_A}/programs/create`, `oa/vens/${VEN_B}/programs/create`].sort());
  });

  it('publishes an event on the all-events and program topics, and under each ven its targets and its program reach', async () => {
    const { notifier, published } = notifierWith(['group1', 'group2']);
    await notifier.notify(change('EVENT', 'CREATE', { id: 'e1', objectType: 'EVENT', programID: P, targets: ['group2'] }));
    expect(topicsOf(published)).toEqual(['oa/events/create', 'oa/programs/program-1/events/create', `oa/vens/${VEN_B}/events/create`, `oa/vens/${VEN_B}/programs/program-1/events/create`]);

    // A program targeted away from a ven hides its untargeted events from it.
    const narrowed = notifierWith(['group1']);
    await narrowed.notifier.notify(change('EVENT', 'DELETE', { id: 'e2', objectType: 'EVENT', programID: P }));
    expect(topicsOf(narrowed.published)).toEqual(['oa/events/delete', 'oa/programs/program-1/events/delete', `oa/vens/${VEN_A}/events/delete`, `oa/vens/${VEN_A}/programs/program-1/events/delete`]);

    // The program is gone: no ven hears, BLs do.
    const orphan = notifierWith(null);
    await orphan.notifier.notify(change('EVENT', 'DELETE', { id: 'e3', objectType: 'EVENT', programID: P }));
    expect(topicsOf(orphan.published)).toEqual(['oa/events/delete', 'oa/programs/program-1/events/delete']);

    // Deleted with its program: judged within the targets the program had, as each ven read it before.
    const cascaded = { ...change('EVENT', 'DELETE', { id: 'e4', objectType: 'EVENT', programID: P, targets: ['group1'] }), programTargets: ['group1', 'group2'] };
    const withProgram = notifierWith(null);
    await withProgram.notifier.notify(cascaded);
    expect(topicsOf(withProgram.published)).toEqual(['oa/events/delete', 'oa/programs/program-1/events/delete', `oa/vens/${VEN_A}/events/delete`, `oa/vens/${VEN_A}/programs/program-1/events/delete`]);
    const hiddenProgram = notifierWith(null);
    await hiddenProgram.notifier.notify({ ...cascaded, programTargets: ['group2'] });
    expect(topicsOf(hiddenProgram.published)).toEqual(['oa/events/delete', 'oa/programs/program-1/events/delete']);
  });

  it("publishes an event moved to another program on its former program's topics too, under a ven only if it may read the event in both programs", async () => {
    const programs: Record<string, string[]> = { [P]: [], 'program-old': ['group2'] };
    const storage = {
      venGrants: async () => grants,
      programs: {
        get: async (id: string) => {
          if (!programs[id]) throw new NotFoundError('PROGRAM', id);
          return { id, targets: programs[id] } as unknown as Program;
        },
        deletedTargets: async () => undefined,
      },
    } as unknown as MqttNotifierStorage;
    const published: Publication[] = [];
    const notifier = new MqttNotifier(storage, { publish: async (publications) => void published.push(...publications) }, new TopicLayout('oa'), new Logger('silent'));
    await notifier.notify({ ...change('EVENT', 'UPDATE', { id: 'event-1', objectType: 'EVENT', programID: P }), formerProgram: 'program-old' });
    const former = topicsOf(published).filter((topic) => topic.includes('program-old'));
    expect(former).toEqual(['oa/programs/program-old/events/update', `oa/vens/${VEN_B}/programs/program-old/events/update`]);
  });

  it('publishes reports, subscriptions, vens and resources on their all-object topics, a ven and its resources on that ven too', async () => {
    const cases: [Change, string[]][] = [
      [change('REPORT', 'CREATE', { id: 'r', objectType: 'REPORT', clientID: 'client-a' }), ['oa/reports/create']],
      [change('SUBSCRIPTION', 'UPDATE', { id: 's', objectType: 'SUBSCRIPTION', clientID: 'client-a', objectOperations: [] }), ['oa/subscriptions/update']],
      [change('VEN', 'CREATE', { id: VEN_A, objectType: 'VEN', clientID: 'client-a' }), ['oa/vens/create']],
      [change('VEN', 'DELETE', { id: VEN_A, objectType: 'VEN', clientID: 'client-a' }), [`oa/vens/${VEN_A}/delete`, 'oa/vens/delete']],
      [change('RESOURCE', 'CREATE', { id: 'res', objectType: 'RESOURCE', venID: VEN_B }), ['oa/resources/create', `oa/vens/${VEN_B}/resources/create`]],
    ];
    for (const [given, topics] of cases) {
      const { notifier, published } = notifierWith();
      await notifier.notify(given);
      expect({ given: `${given.objectType} ${given.operation}`, topics: topicsOf(published) }).toEqual({ given: `${given.objectType} ${given.operation}`, topics: topics.sort() });
    }
  });

  it("never publishes a subscription's callback bearer token", async () => {
    const { notifier, published } = notifierWith();
    const objectOperations = [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/cb', bearerToken: 'callback-secret' }];
    await notifier.notify(change('SUBSCRIPTION', 'CREATE', { id: 's', objectType: 'SUBSCRIPTION', clientID: 'client-a', objectOperations }));
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published)).not.toContain('callback-secret');
    expect(published[0].notification.object.objectOperations).toEqual([{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/cb' }]);
  });

  it('hands all publications of a change to the publisher at once, and reports its failure logged without the object', async () => {
    const calls: number[] = [];
    const { notifier, lines } = notifierWith([], async (publications) => {
      calls.push(publications.length);
      throw new Error('2 of 4 MQTT publications failed');
    });
    const objectOperations = [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'https://ven.example.com/cb', bearerToken: 'callback-secret' }];
    await expect(notifier.notify(change('SUBSCRIPTION', 'DELETE', { id: 's', objectType: 'SUBSCRIPTION', objectOperations }))).rejects.toThrow('2 of 4');
    await expect(notifier.notify(change('PROGRAM', 'DELETE', { id: P, objectType: 'PROGRAM' }))).rejects.toThrow();
    expect(calls).toEqual([1, 6]);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', message: 'MQTT notification failed', objectType: 'SUBSCRIPTION', objectID: 's' });
    expect(lines.join('')).not.toContain('callback-secret');
  });
});
