FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["node", "bin/waggle.js", "start"]
