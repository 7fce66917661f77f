import { ApiClient, itAnswersAsTheSpecSays } from '../../support/api-client';

/**
 * Object privacy for programs and events (Definition.md "Object Privacy"): a VEN sees untargeted
 * objects and those sharing a target granted through its ven and resources, in programs it may
 * see, and learns only the granted targets. ven-1 has a ven; ven-2 has none.
 */
let bl: ApiClient;
let ven1: ApiClient;
let ven2: ApiClient;
let venID: string;
const programs: Record<string, { id: string }> = {};
const events: Record<string, { id: string }> = {};

beforeAll(async () => {
  bl = await ApiClient.start();
  ven1 = await bl.as('ven-1');
  ven2 = await bl.as('ven-2');
  venID = (await bl.post('/vens', { objectType: 'BL_VEN_REQUEST', venName: 'privacy-ven-1', clientID: 'ven-1', targets: ['group-1'] })).body.id;
  await bl.post('/resources', { objectType: 'BL_RESOURCE_REQUEST', resourceName: 'meter', venID, clientID: 'ven-1', targets: ['res-1'] });
  const program = async (name: string, targets?: string[]) => (programs[name] = (await bl.post('/programs', { programName: name, targets })).body);
  await program('open');
  await program('group-1-and-secret', ['group-1', 'secret']);
  await program('group-2', ['group-2']);
  const event = async (name: string, programName: string, targets?: string[]) =>
    (events[name] = (await bl.post('/events', { programID: programs[programName].id, eventName: name, targets, intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }] })).body);
  await event('open', 'open');
  await event('resource-and-other', 'open', ['res-1', 'other']);
  await event('group-2-only', 'open', ['group-2']);
  await event('open-in-targeted', 'group-1-and-secret');
  await event('open-in-hidden', 'group-2');
});
afterAll(() => bl.close());

const names = (objects: { programName?: string; eventName?: string }[]) => objects.map((object) => object.programName ?? object.eventName).sort();

test('a BL sees every program and event with all its targets', async () => {
  expect(names((await bl.get('/programs')).body)).toEqual(['group-1-and-secret', 'group-2', 'open']);
  expect(names((await bl.get('/events')).body)).toEqual(['group-2-only', 'open', 'open-in-hidden', 'open-in-targeted', 'resource-and-other']);
  expect((await bl.get(`/events/${events['resource-and-other'].id}`)).body.targets).toEqual(['res-1', 'other']);
});

test('a VEN sees untargeted objects and those sharing a granted target, with only granted targets shown', async () => {
  const visiblePrograms = (await ven1.get('/programs')).body;
  expect(names(visiblePrograms)).toEqual(['group-1-and-secret', 'open']);
  expect(visiblePrograms.find((program: { programName: string }) => program.programName === 'group-1-and-secret').targets).toEqual(['group-1']);
  const visibleEvents = (await ven1.get('/events')).body;
  expect(names(visibleEvents)).toEqual(['open', 'open-in-targeted', 'resource-and-other']);
  expect(visibleEvents.find((event: { eventName: string }) => event.eventName === 'resource-and-other').targets).toEqual(['res-1']);
  expect((await ven1.get(`/events/${events['resource-and-other'].id}`)).body.targets).toEqual(['res-1']);
  expect((await ven1.get(`/programs/${programs['group-1-and-secret'].id}`)).body.targets).toEqual(['group-1']);
});

test('what a VEN may not see is 404 by id, and absent from filtered lists', async () => {
  expect((await ven1.get(`/programs/${programs['group-2'].id}`)).status).toBe(404);
  expect((await ven1.get(`/events/${events['group-2-only'].id}`)).status).toBe(404);
  // An untargeted event of a program the VEN may not see is hidden with it.
  expect((await ven1.get(`/events/${events['open-in-hidden'].id}`)).status).toBe(404);
  expect((await ven1.get(`/events?programID=${programs['group-2'].id}`)).body).toEqual([]);
  expect(names((await ven1.get(`/events?programID=${programs.open.id}`)).body)).toEqual(['open', 'resource-and-other']);
});

test("a VEN's targets filter is intersected with its grant", async () => {
  expect(names((await ven1.get('/events?targets=res-1')).body)).toEqual(['resource-and-other']);
  expect((await ven1.get('/events?targets=group-2')).body).toEqual([]);
  expect((await ven1.get('/events?targets=other')).body).toEqual([]);
  expect(names((await ven1.get('/events?targets=res-1&targets=group-2')).body)).toEqual(['resource-and-other']);
  expect(names((await ven1.get('/programs?targets=group-1&targets=secret')).body)).toEqual(['group-1-and-secret']);
  expect((await ven1.get('/programs?targets=secret')).body).toEqual([]);
  expect(names((await bl.get('/events?targets=group-2')).body)).toEqual(['group-2-only']);
});

test('a VEN without a ven sees only untargeted objects', async () => {
  expect(names((await ven2.get('/programs')).body)).toEqual(['open']);
  expect(names((await ven2.get('/events')).body)).toEqual(['open']);
  expect((await ven2.get(`/events/${events['resource-and-other'].id}`)).status).toBe(404);
  expect((await ven2.get('/events?targets=res-1')).body).toEqual([]);
});

test("a BL changing a ven's or resource's targets changes what the VEN sees", async () => {
  await bl.put(`/vens/${venID}`, { objectType: 'BL_VEN_REQUEST', venName: 'privacy-ven-1', clientID: 'ven-1', targets: ['group-2'] });
  expect(names((await ven1.get('/programs')).body)).toEqual(['group-2', 'open']);
  expect(names((await ven1.get('/events')).body)).toEqual(['group-2-only', 'open', 'open-in-hidden', 'resource-and-other']);
  const [resource] = (await bl.get(`/resources?venID=${venID}`)).body;
  await bl.delete(`/resources/${resource.id}`);
  expect(names((await ven1.get('/events')).body)).toEqual(['group-2-only', 'open', 'open-in-hidden']);
  await bl.put(`/vens/${venID}`, { objectType: 'BL_VEN_REQUEST', venName: 'privacy-ven-1', clientID: 'ven-1', targets: ['group-1'] });
  expect(names((await ven1.get('/events')).body)).toEqual(['open', 'open-in-targeted']);
});

test('a program losing a target hides its events from the VEN it no longer reaches', async () => {
  const program = (await bl.post('/programs', { programName: 'retargeted', targets: ['group-1'] })).body;
  await bl.post('/events', { programID: program.id, eventName: 'in-retargeted', intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [1] }] }] });
  expect(names((await ven1.get(`/events?programID=${program.id}`)).body)).toEqual(['in-retargeted']);
  await bl.put(`/programs/${program.id}`, { programName: 'retargeted', targets: ['group-9'] });
  expect((await ven1.get(`/events?programID=${program.id}`)).body).toEqual([]);
  expect((await ven1.get(`/programs/${program.id}`)).status).toBe(404);
});

itAnswersAsTheSpecSays(() => bl);
