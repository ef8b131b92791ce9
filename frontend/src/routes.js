// The SPA's one route table. Pages receive the matched params as `params`.
import Organizers from './pages/Organizers.svelte';
import AppSettings from './pages/AppSettings.svelte';
import EventPlugins from './pages/EventPlugins.svelte';
import EventHubSpot from './pages/EventHubSpot.svelte';
import EventMappingEdit from './pages/EventMappingEdit.svelte';
import OrganizerNew from './pages/OrganizerNew.svelte';
import Organizer from './pages/Organizer.svelte';
import EventDashboard from './pages/EventDashboard.svelte';
import EventOrders from './pages/EventOrders.svelte';
import Order from './pages/Order.svelte';
import EventSyncProblems from './pages/EventSyncProblems.svelte';
import OrganizerSyncProblems from './pages/OrganizerSyncProblems.svelte';
import OrganizerSyncActivity from './pages/OrganizerSyncActivity.svelte';

/** @type {{path: string, component: any, title: string}[]} */
export const routes = [
  { path: '/', component: Organizers, title: 'Organizers' },
  { path: '/settings', component: AppSettings, title: 'Settings' },
  { path: '/organizers/new', component: OrganizerNew, title: 'Add organizer' },
  { path: '/organizers/:org', component: Organizer, title: 'Organizer' },
  { path: '/organizers/:org/events/:event', component: EventDashboard, title: 'Dashboard' },
  { path: '/organizers/:org/events/:event/orders', component: EventOrders, title: 'Orders' },
  { path: '/organizers/:org/events/:event/orders/:code', component: Order, title: 'Order' },
  { path: '/organizers/:org/events/:event/sync-problems', component: EventSyncProblems, title: 'Sync problems' },
  { path: '/organizers/:org/export/sync-problems', component: OrganizerSyncProblems, title: 'Data sync problems' },
  { path: '/organizers/:org/export/sync-activity', component: OrganizerSyncActivity, title: 'Sync activity' },
  { path: '/organizers/:org/events/:event/settings/plugins', component: EventPlugins, title: 'Plugins' },
  { path: '/organizers/:org/events/:event/settings/hubspot', component: EventHubSpot, title: 'HubSpot Integration' },
  { path: '/organizers/:org/events/:event/settings/hubspot/mappings/:id', component: EventMappingEdit, title: 'Edit mapping' },
];
