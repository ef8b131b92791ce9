// The SPA's one route table. Pages receive the matched params as `params`.
import Organizers from './pages/Organizers.svelte';
import AppSettings from './pages/AppSettings.svelte';
import EventPlugins from './pages/EventPlugins.svelte';
import EventHubSpot from './pages/EventHubSpot.svelte';
import EventMappingEdit from './pages/EventMappingEdit.svelte';

/** @type {{path: string, component: any, title: string}[]} */
export const routes = [
  { path: '/', component: Organizers, title: 'Organizers' },
  { path: '/settings', component: AppSettings, title: 'Settings' },
  { path: '/organizers/:org/events/:event/settings/plugins', component: EventPlugins, title: 'Plugins' },
  { path: '/organizers/:org/events/:event/settings/hubspot', component: EventHubSpot, title: 'HubSpot Integration' },
  { path: '/organizers/:org/events/:event/settings/hubspot/mappings/:id', component: EventMappingEdit, title: 'Edit mapping' },
];
