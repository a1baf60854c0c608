import { join } from 'node:path';
import { Application, FileResponse } from 'stackware';

export const app = new Application();

const report = join(__dirname, 'media', 'report.txt');

// Given the request, the download can be resumed (Range), and revalidated (If-None-Match).
app.get('/report', (request) => new FileResponse(report, { request, filename: 'quarterly-report.txt' }));
