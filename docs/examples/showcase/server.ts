// The app `npm start` serves, through the server command:
//   stackware serve docs/examples/showcase/server.ts   (HOST and PORT override 127.0.0.1:8000)
export { app } from './app';
