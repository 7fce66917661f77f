import type { Logger } from '../../logger';
import { mayRead, type Reader } from '../../operations/privacy';
import type { VenGrant, VtnStorage } from '../../storage/port';
import type { Change } from '../change';
import { eventProgramTargets, notificationOf } from '../matching';
import type { MqttPublisher, Publication } from './publisher';
import { topicFor, type OperationTopics, type TopicLayout } from './topics';

/** What the notifier reads: every ven's grant and an event's program, both cached and coherent. */
export type MqttNotifierStorage = Pick<VtnStorage, 'programs' | 'venGrants'>;

/**
 * Publishes a change on exactly the topics the routes advertise (topics.ts): the all-object
 * topics and a program's or ven's own, with the notification as a BL reads it, and, for
 * programs and events, under each ven whose client may read the object, as that client reads
 * it (target hiding, operations/privacy.ts). The notification is the webhook notifier's
 * (matching.ts `notificationOf`): a subscription goes without its callbacks' bearer tokens.
 */
export class MqttNotifier {
  constructor(
    private readonly storage: MqttNotifierStorage,
    private readonly publisher: MqttPublisher,
    private readonly layout: TopicLayout,
    private readonly logger: Logger,
  ) {}

  /** Publishes in one call to the publisher; a failure is logged and rejects (the stream retries it). */
  async notify(change: Change): Promise<{ published: number }> {
    try {
      const publications = await this.publicationsOf(change);
      await this.publisher.publish(publications);
      return { published: publications.length };
    } catch (error) {
      // The change's identity only: a subscription's object could carry callback secrets.
      this.logger.error('MQTT notification failed', { objectType: change.objectType, operation: change.operation, objectID: change.object.id, error });
      throw error;
    }
  }

  /** The messages a change calls for. */
  async publicationsOf(change: Change): Promise<Publication[]> {
    const { layout } = this;
    const object = change.object as { id: string; programID?: string; venID?: string };
    const publications: Publication[] = [];
    const publish = (topics: OperationTopics, reader?: Reader) => {
      const topic = topicFor(topics, change.operation);
      if (topic) publications.push({ topic, notification: notificationOf(change, reader) });
    };
    switch (change.objectType) {
      case 'PROGRAM': {
        publish(layout.allPrograms());
        publish(layout.program(object.id));
        for (const { venID, reader } of await this.readers(change)) {
          publish(layout.venPrograms(venID), reader);
          publish(layout.venProgram(venID, object.id), reader);
        }
        break;
      }
      case 'EVENT': {
        const programID = object.programID as string;
        publish(layout.allEvents());
        publish(layout.programEvents(programID));
        const readers = await this.readers(change, await eventProgramTargets(this.storage, change, programID));
        for (const { venID, reader } of readers) {
          publish(layout.venEvents(venID), reader);
          publish(layout.venProgramEvents(venID, programID), reader);
        }
        // Whoever follows the program the event left hears that it changed (and where it went);
        // a VEN only if it may read the event in both programs.
        if (change.formerProgram) {
          publish(layout.programEvents(change.formerProgram));
          const formerReaders = new Set((await this.readers(change, await eventProgramTargets(this.storage, change, change.formerProgram))).map(({ venID }) => venID));
          for (const { venID, reader } of readers) if (formerReaders.has(venID)) publish(layout.venProgramEvents(venID, change.formerProgram), reader);
        }
        break;
      }
      case 'REPORT':
        publish(layout.allReports());
        break;
      case 'SUBSCRIPTION':
        publish(layout.allSubscriptions());
        break;
      case 'VEN':
        publish(layout.allVens());
        publish(layout.ven(object.id));
        break;
      case 'RESOURCE':
        publish(layout.allResources());
        publish(layout.venResources(object.venID as string));
        break;
    }
    return publications;
  }

  /** The vens whose clients may read a program or event, each with its client as reader. */
  private async readers(change: Change, programTargets?: string[] | null): Promise<{ venID: string; reader: Reader }[]> {
    const readerOf = ({ venID, clientID, targets }: VenGrant): Reader => ({ role: 'VEN', clientID, grant: { venID, targets } });
    return (await this.storage.venGrants())
      .map((grant) => ({ venID: grant.venID, reader: readerOf(grant) }))
      .filter(({ reader }) => mayRead(reader, change.objectType, change.object, programTargets));
  }
}
