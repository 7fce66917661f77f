import { NotFoundError, VtnError } from '../errors';
import type { OperationTopics, TopicLayout } from '../notifications/mqtt/topics';
import type { Grant, VtnStorage } from '../storage/port';
import type { Caller } from '../auth/caller';
import { BL_READER, mayRead } from './privacy';

/** The topic routes' answer (openadr3.yaml `notifierTopicsResponse`). */
export interface TopicsResponse {
  topics: OperationTopics;
}

/** A 404 that is no object's: no MQTT binding here, or no ven yet to name a VEN's topics by. */
export class NoTopicsError extends VtnError {
  readonly status = 404;
  readonly title = 'Not Found';
}

export type NotifierTopicsStorage = Pick<VtnStorage, 'programs' | 'vens' | 'grantOf'>;

/**
 * The MQTT binding's topic names for a caller (notifications-additional-protocols.md section 8).
 * A BL gets the names of the whole VTN's objects; a VEN asking for program topics gets the names
 * under its own ven, on which only what it may read is published, with target hiding. The
 * BL-only routes are refused to a VEN by their scope (`read_bl`) before they get here.
 */
export class NotifierTopics {
  constructor(
    private readonly storage: NotifierTopicsStorage,
    /** Undefined when the VTN offers no MQTT binding: every route is then 404. */
    private readonly layout: TopicLayout | undefined,
  ) {}

  async programs(caller: Caller): Promise<TopicsResponse> {
    const layout = this.binding();
    if (caller.role === 'BL') return { topics: layout.allPrograms() };
    return { topics: layout.venPrograms(await this.ownVenID(caller)) };
  }

  async program(caller: Caller, programID: string): Promise<TopicsResponse> {
    return this.ofProgram(caller, programID, (layout) => layout.program(programID), (layout, venID) => layout.venProgram(venID, programID));
  }

  async programEvents(caller: Caller, programID: string): Promise<TopicsResponse> {
    return this.ofProgram(caller, programID, (layout) => layout.programEvents(programID), (layout, venID) => layout.venProgramEvents(venID, programID));
  }

  /** The all-object routes; their scope (`read_bl`) keeps VENs out. */
  allEvents = () => this.all((layout) => layout.allEvents());
  allReports = () => this.all((layout) => layout.allReports());
  allSubscriptions = () => this.all((layout) => layout.allSubscriptions());
  allVens = () => this.all((layout) => layout.allVens());
  allResources = () => this.all((layout) => layout.allResources());

  async ven(caller: Caller, venID: string): Promise<TopicsResponse> {
    return { topics: (await this.venOf(caller, venID)).ven(venID) };
  }
  async venEvents(caller: Caller, venID: string): Promise<TopicsResponse> {
    return { topics: (await this.venOf(caller, venID)).venEvents(venID) };
  }
  async venPrograms(caller: Caller, venID: string): Promise<TopicsResponse> {
    return { topics: (await this.venOf(caller, venID)).venPrograms(venID) };
  }
  async venResources(caller: Caller, venID: string): Promise<TopicsResponse> {
    return { topics: (await this.venOf(caller, venID)).venResources(venID) };
  }

  private async all(names: (layout: TopicLayout) => OperationTopics): Promise<TopicsResponse> {
    return { topics: names(this.binding()) };
  }

  /** A program's names: a BL's for any program; a VEN's under its ven, for a program it may read. */
  private async ofProgram(
    caller: Caller,
    programID: string,
    forBl: (layout: TopicLayout) => OperationTopics,
    forVen: (layout: TopicLayout, venID: string) => OperationTopics,
  ): Promise<TopicsResponse> {
    const layout = this.binding();
    if (caller.role === 'BL') {
      await this.storage.programs.get(programID);
      return { topics: forBl(layout) };
    }
    return { topics: forVen(layout, await this.visibleProgram(caller, programID)) };
  }

  private binding(): TopicLayout {
    if (!this.layout) throw new NoTopicsError('this VTN offers no MQTT notifier binding (GET /notifiers lists the bindings it offers)');
    return this.layout;
  }

  /** A VEN's topics are named by its ven (its grant's), which it must have registered. */
  private async ownVenID(caller: Caller, grant?: Grant): Promise<string> {
    const { venID } = grant ?? (await this.storage.grantOf(caller.clientID));
    if (!venID) throw new NoTopicsError(`client ${caller.clientID} has no ven yet: its topics exist once it registers one (POST /vens)`);
    return venID;
  }

  /** A program the VEN may not read does not exist for it, as with GET /programs/{programID}; answers the VEN's ven. */
  private async visibleProgram(caller: Caller, programID: string): Promise<string> {
    const program = await this.storage.programs.get(programID);
    const grant = await this.storage.grantOf(caller.clientID);
    if (!mayRead({ role: 'VEN', clientID: caller.clientID, grant }, 'PROGRAM', program)) throw new NotFoundError('PROGRAM', programID);
    return this.ownVenID(caller, grant);
  }

  /**
   * The ven must exist (404); a VEN may ask for its own ven's topics only, and another client's ven
   * is 404 to it as with GET /vens/{venID}: a 403 would tell which ven ids are in use.
   */
  private async venOf(caller: Caller, venID: string): Promise<TopicLayout> {
    const layout = this.binding();
    const ven = await this.storage.vens.get(venID);
    const reader = caller.role === 'BL' ? BL_READER : { role: 'VEN' as const, clientID: caller.clientID };
    if (!mayRead(reader, 'VEN', ven)) throw new NotFoundError('VEN', venID);
    return layout;
  }
}
